// The metric a sweep ranks its trials by: a figure of the trial's final weights (the restored ones
// after early stopping), as `nnc run --json` reports them: `val_loss`, `val_accuracy`, `val_mse`,
// `val_data_loss`, and the same for `train_` and `test_`. Accuracy is better higher, the rest
// lower. Ranking by a test figure is allowed but said to be what it is.

import type { TrainConfig } from "../../compiler/ir/config.ts";
import { UserError } from "../user-error.ts";
import type { Direction } from "./search.ts";

const PASSES = { train: "training", val: "validation", test: "test" } as const;
const FIGURES = ["loss", "data_loss", "accuracy", "mse"] as const;
export const METRICS = Object.keys(PASSES).flatMap((pass) => FIGURES.map((figure) => `${pass}_${figure}`));

export function chooseMetric(command: string, given: string | undefined, config: TrainConfig): { metric: string; direction: Direction; notes: string[] } {
  const metric = given ?? (config.split.validation > 0 ? "val_loss" : "train_loss");
  if (!METRICS.includes(metric)) {
    throw new UserError(`nnc ${command}: unknown --metric \`${metric}\`; choose one of ${METRICS.map((m) => `\`${m}\``).join(", ")}`);
  }
  const [pass, figure] = [metric.slice(0, metric.indexOf("_")), metric.slice(metric.indexOf("_") + 1)] as [keyof typeof PASSES, string];
  if (pass === "val" && config.split.validation === 0) {
    throw new UserError(`nnc ${command}: --metric ${metric} needs a validation split, and the train block holds none out; add one (\`split validation: 0.2\`, or --set "split=validation: 0.2") or rank by train_loss`);
  }
  if (pass === "test" && config.split.test === 0 && config.data.kind !== "mnist") {
    throw new UserError(`nnc ${command}: --metric ${metric} needs a test split, and the train block holds none out`);
  }
  if ((figure === "accuracy" || figure === "mse") && !config.metrics.includes(figure)) {
    throw new UserError(`nnc ${command}: --metric ${metric}: the runs do not measure ${figure} (their metrics are ${config.metrics.join(", ")})`);
  }
  const notes: string[] = [];
  if (given === undefined) notes.push(`${metric} is the default metric ${config.split.validation > 0 ? "with a validation split" : "without a validation split"}; --metric chooses another`);
  if (pass === "test") notes.push(`note: ranking by ${metric} chooses hyper-parameters on the test split, which then no longer measures the chosen model fairly; a validation split is the place for that`);
  return { metric, direction: figure === "accuracy" ? "max" : "min", notes };
}

// `--set KEY=VALUE` on the commands that train (run, ensemble) or read a train block's data (eval),
// and the options that are shorthands for it (`--epochs N` is `--set epochs=N`). Every command that
// trains takes the same option with the same help line; the settings are checked by the compiler
// (compiler/analyze/overrides.ts), so a mistake gets the same message a train block would.

import { optionOverride, setOverride, type Override } from "../compiler/analyze/overrides.ts";
import { integerOption } from "./options.ts";
import { UserError } from "./user-error.ts";

export const SET_OPTION = { set: { type: "string", multiple: true } } as const;

export const SET_HELP = `  --set KEY=VALUE      override a setting of the train block, written as in the block:
                       --set batch=32, --set "optimizer=adam(lr: 3e-3)",
                       --set "schedule=cosine(to: 0)", --set "regularize=l2(1e-3)"
                       (replaces the model's regularizers; regularize=none removes them);
                       repeat it for several settings`;

// The overrides of `--set` options, in order. `shorthands` are options the command has for common
// settings (`--epochs 3`); they come first, so a `--set` of the same setting is "given twice".
export function commandLineOverrides(command: string, sets: readonly string[] | undefined, shorthands: Override[] = []): Override[] {
  const overrides = [...shorthands];
  (sets ?? []).forEach((typed, i) => {
    const override = setOverride(i + 1, typed);
    if (!override) {
      throw new UserError(`nnc ${command}: --set needs KEY=VALUE, a train block's setting and its value as in \`--set batch=32\`, but got \`${typed}\``);
    }
    overrides.push(override);
  });
  return overrides;
}

// `--epochs N`, `--batch N|full` and `--seed S` as overrides, checked first as whole numbers on
// the command line (a seed such as `0x10`, which a .nn file could not hold, is refused here).
export function shorthandOverrides(command: string, values: { epochs?: string; batch?: string; seed?: string }): Override[] {
  const overrides: Override[] = [];
  const epochs = integerOption(command, "epochs", values.epochs, 1);
  if (epochs !== undefined) overrides.push(optionOverride("--epochs", "epochs", String(epochs)));
  const batch = values.batch === "full" ? "full" : integerOption(command, "batch", values.batch, 1);
  if (batch !== undefined) overrides.push(optionOverride("--batch", "batch", String(batch)));
  // The same range as `seed` in a train block.
  const seed = integerOption(command, "seed", values.seed, 0, 4294967295);
  if (seed !== undefined) overrides.push(optionOverride("--seed", "seed", String(seed)));
  return overrides;
}

// Trains examples/mnist_mlp.nn for one epoch on the CPU from a program, then predicts five test
// digits. From the repository root: `node --import tsx examples/api/train.ts` (docs/API.md).
import { compileFile, createTrainer, loadData } from "nnc";

const model = compileFile("examples/mnist_mlp.nn"); // throws a CompileError listing every mistake
const data = loadData(model); // the train block's data: split, standardized, labels encoded
const trainer = await createTrainer(model, { backend: "cpu" });
console.log(`training ${model.name} on ${trainer.description}`);

const summary = await trainer.fit(data, {
  epochs: 1,
  onStep(step) {
    if (step.batch % 20 === 0) console.log(`step ${step.batch}/${step.batches}: loss ${step.loss.toFixed(4)}`);
  },
});
console.log(`test accuracy after ${summary.steps} steps: ${(100 * summary.test!.accuracy!).toFixed(2)}%`);

// `probs` is the model's first output: softmax(logits), 10 values per digit.
const test = data.test!;
const probs = await trainer.predict(test.features.subarray(0, 5 * test.featureSize));
for (let i = 0; i < 5; i++) {
  const row = Array.from(probs.subarray(10 * i, 10 * i + 10));
  const digit = row.indexOf(Math.max(...row));
  console.log(`digit ${i}: predicted ${digit} (p = ${row[digit]!.toFixed(3)}), labelled ${test.targets[i]}`);
}
trainer.dispose();

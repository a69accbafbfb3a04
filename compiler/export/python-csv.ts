// The part of an exported PyTorch script that reads a CSV data source the way nnc does, from the
// CSV file itself rather than from a copy next to the script (a data set that outgrows one machine
// is not copied around): the same cells (trimmed, blank lines skipped, decimal numbers only), the
// same columns, the same class numbers (integers as they are, names in sorted order), the same
// target encoding, and the same seeded train/validation/test split, for which nnc's generator
// (runtime/rng.ts: xoshiro128** seeded through splitmix32, keys hashed with FNV-1a) and its split
// rule (runtime/data/split.ts) are written out in Python. The constants it reads (DATA_FILE, CSV,
// INPUT_SHAPE) come from data-file.ts; nnc checks the file when it exports the script, and the
// script checks it again, more briefly, when it reads it (the file may have changed since).

export const PYTHON_CSV = String.raw`
# --- the CSV file, read as nnc reads it ------------------------------------------------------------

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_U32 = 0xFFFFFFFF


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & _U32


class NncRng:
    """nnc's random generator (xoshiro128**, seeded through splitmix32), so that the split holds out
    the same rows as nnc's."""

    def __init__(self, seed):
        x, self.s = seed & _U32, []
        for _ in range(4):
            x = (x + 0x9E3779B9) & _U32
            z = ((x ^ (x >> 16)) * 0x85EBCA6B) & _U32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & _U32
            self.s.append(z ^ (z >> 16))

    @staticmethod
    def derive(seed, key):
        """The generator for a named stream of a seed (FNV-1a over the key's UTF-16 code units)."""
        h = (seed & _U32) ^ 0x811C9DC5
        units = key.encode("utf-16-le")
        for i in range(0, len(units), 2):
            h = ((h ^ int.from_bytes(units[i : i + 2], "little")) * 0x01000193) & _U32
        return NncRng(h)

    def next_uint32(self):
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & _U32, 7) * 9) & _U32
        t = (s1 << 9) & _U32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        self.s = [s0, s1, s2, _rotl(s3, 11)]
        return result

    def permutation(self, n):
        """Fisher-Yates shuffle of 0..n-1."""
        order = list(range(n))
        for i in range(n - 1, 0, -1):
            j = math.floor(self.next_uint32() / 4294967296 * (i + 1))
            order[i], order[j] = order[j], order[i]
        return order


def split_rows(n):
    """{split: row indices}: the first round(test * n) rows of the seeded permutation are the test
    split, the next round(validation * n) the validation split, the rest the training split (a
    fraction above 0 holds out at least one row); with SHUFFLE False each keeps the file's order."""

    def held(fraction):
        if fraction <= 0:
            return 0
        x = fraction * n
        rounded = math.floor(x) + (1 if x - math.floor(x) >= 0.5 else 0)
        return max(1, rounded)

    test, validation = held(CSV["split_test"]), held(CSV["split_validation"])
    if n - test - validation < 1:
        problem = f"the split holds out {test} test and {validation} validation examples of {n}"
        _fail(DATA_FILE, None, f"{problem}, which leaves none to train on")
    order = NncRng.derive(SEED, "split").permutation(n)
    parts = {"train": order[test + validation :]}
    parts["validation"] = order[test : test + validation]
    parts["test"] = order[:test]
    return {name: (rows if SHUFFLE else sorted(rows)) for name, rows in parts.items() if rows}


def _fail(path, line, problem):
    raise SystemExit(f"{path}{'' if line is None else f':{line}'}: {problem}")


def _column(path, header, width, spec):
    if isinstance(spec, int):
        if 0 <= spec < width:
            return spec
        _fail(path, None, f"no column {spec}: the file has {width} columns, numbered 0 to {width - 1}")
    if header is None or spec not in header:
        _fail(path, 1, f'no column named "{spec}"')
    return header.index(spec)


def _class_numbers(path, cells, classes, signed):
    """Class numbers 0..classes-1 from label cells [(line, text)]: integers as they are (for hinge
    and perceptron, -1 is class 0), or names numbered in sorted order (by UTF-16 code units, as
    nnc sorts them)."""
    names = sorted({text for _, text in cells if not _DECIMAL.fullmatch(text)}, key=lambda s: s.encode("utf-16-be"))
    if names:
        numbers = [(line, text) for line, text in cells if _DECIMAL.fullmatch(text)]
        if numbers:
            _fail(path, numbers[0][0], f'label "{numbers[0][1]}" is a number, but other labels in this column are names')
        if len(names) > classes:
            problem = f"the label column has {len(names)} different names"
            _fail(path, None, f"{problem}, but the target has {classes} classes")
        number = {name: k for k, name in enumerate(names)}
        return torch.tensor([number[text] for _, text in cells], dtype=torch.long)
    values = []
    for line, text in cells:
        value = float(text)
        if signed and value == -1:
            value = 0.0
        if not (math.isfinite(value) and value == int(value) and 0 <= value < classes):
            _fail(path, line, f"label {text} is not a class number (an integer from 0 to {classes - 1})")
        values.append(int(value))
    if signed and any(float(t) == -1 for _, t in cells) and any(float(t) == 0 for _, t in cells):
        _fail(path, None, "the labels mix 0 and -1: write the two classes as 0 and 1, or -1 and +1")
    return torch.tensor(values, dtype=torch.long)


def read_csv_file(path):
    """(features [n, ...INPUT_SHAPE], targets) of the CSV file: the label and feature columns CSV
    names, the labels as the model's target reads them (class indices, one-hot rows, -1/+1 or
    real values)."""
    header, rows = None, []
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, delimiter=CSV["delimiter"], skipinitialspace=True)
            for row in reader:
                cells = [cell.strip() for cell in row]
                if not cells or cells == [""]:
                    continue
                if CSV["header"] and header is None:
                    header = cells
                else:
                    rows.append((reader.line_num, cells))
    except OSError as error:
        _fail(path, None, f"cannot read the file: {error.strerror}")
    if not rows:
        _fail(path, None, "the file has no rows")
    width = len(header) if header is not None else len(rows[0][1])
    label = CSV["label"] if isinstance(CSV["label"], list) else [CSV["label"]]
    labels = [_column(path, header, width, spec) for spec in label]
    chosen = CSV["features"]
    if chosen is None:
        features = [i for i in range(width) if i not in labels]
    else:
        features = [_column(path, header, width, spec) for spec in chosen]
    values = []
    for line, cells in rows:
        if len(cells) != width:
            _fail(path, line, f"this row has {len(cells)} cells, but the file has {width} columns")
        for c in features:
            if not _DECIMAL.fullmatch(cells[c]):
                _fail(path, line, f'column {header[c] if header else c}: "{cells[c]}" is not a number')
        values.append([float(cells[c]) for c in features])
    x = torch.tensor(values, dtype=torch.float32)
    if not torch.isfinite(x).all():
        line = rows[int((~torch.isfinite(x)).any(dim=1).nonzero()[0])][0]
        _fail(path, line, "a value is beyond the range of 32-bit floats (about 3.4e38), which nnc computes in")
    if CSV["labels"] == "real":
        for line, cells in rows:
            for c in labels:
                if not _DECIMAL.fullmatch(cells[c]):
                    _fail(path, line, f'column {header[c] if header else c}: "{cells[c]}" is not a number')
        y = torch.tensor([[float(cells[c]) for c in labels] for _, cells in rows], dtype=torch.float32)
    else:
        cells = [(line, cells[labels[0]]) for line, cells in rows]
        for line, text in cells:
            if text == "":
                _fail(path, line, "the label cell is empty")
        classes = 2 if CSV["labels"] == "signed" else CSV["classes"]
        y = _class_numbers(path, cells, classes, CSV["labels"] == "signed")
    encoding = CSV["encoding"]
    if encoding == "one_hot":
        y = F.one_hot(y, CSV["classes"]).float()
    elif encoding == "signed":
        y = (2 * y - 1).float().reshape(-1, 1)
    elif encoding == "real":
        y = y.float().reshape(len(rows), -1)
    return x.reshape(len(rows), *INPUT_SHAPE), y
`;

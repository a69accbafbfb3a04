// The part of an exported PyTorch script that is the same for every model: reading and writing
// safetensors in plain Python (Debian's python3-torch has no `safetensors` package, and the format
// is small: an 8-byte little-endian header length, a JSON header, then the raw little-endian
// data), loading nnc's checkpoints into the module with a strict `load_state_dict`, the data file
// written next to the script, the standardizer, metrics, and the process-group set-up for torchrun.
// The per-model parts (the module, the loss, the optimizer, the schedule, the loop's settings)
// come from python-module.ts and python-train.ts.

export const PYTHON_RUNTIME = String.raw`
# --- safetensors, in plain Python --------------------------------------------------------------

_DTYPES = {
    "F32": torch.float32,
    "F64": torch.float64,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
}


def read_safetensors(path):
    """Returns ({name: tensor}, metadata) for a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    data = raw[8 + length :]
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        if end > start:
            values = torch.frombuffer(bytearray(data[start:end]), dtype=dtype)
        else:
            values = torch.zeros(0, dtype=dtype)
        tensors[name] = values.reshape(info["shape"]).clone()
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    """Writes float32 (and int64) tensors atomically: a temporary file, then a rename."""
    header, chunks, offset = {}, [], 0
    for name, tensor in tensors.items():
        tensor = tensor.detach().cpu().contiguous()
        code = "I64" if tensor.dtype == torch.int64 else "F32"
        tensor = tensor.to(torch.int64 if code == "I64" else torch.float32)
        chunk = tensor.numpy().astype("<i8" if code == "I64" else "<f4").tobytes()
        offsets = [offset, offset + len(chunk)]
        header[name] = {"dtype": code, "shape": list(tensor.shape), "data_offsets": offsets}
        chunks.append(chunk)
        offset += len(chunk)
    header["__metadata__"] = metadata
    text = json.dumps(header).encode("utf-8")
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, "." + os.path.basename(path) + ".tmp")
    with open(temporary, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


# --- checkpoints ---------------------------------------------------------------------------------


def checkpoint_state_dict(model, path):
    """The model's state_dict from a safetensors file written by nnc or by this script.

    nnc's checkpoints also hold the optimizer's state ("optimizer.*") and the standardizer
    ("standardize.*"), listed apart in their metadata; those are left out here. nnc does not keep
    batch norm's num_batches_tracked (its momentum is fixed, so PyTorch never reads it either); a
    file without it gets the number of training steps the checkpoint records.
    Returns (state_dict, standardizer or None, metadata)."""
    tensors, metadata = read_safetensors(path)
    listed = None
    if "params" in metadata:
        listed = set(json.loads(metadata["params"]) + json.loads(metadata.get("state", "[]")))
    progress = json.loads(metadata.get("progress", '{"step": 0}'))
    state = {}
    for name, tensor in tensors.items():
        if listed is not None and name not in listed and not name.endswith(".num_batches_tracked"):
            continue
        if listed is None and (name.startswith("optimizer.") or name.startswith("standardize.")):
            continue
        state[name] = tensor
    for name, buffer in model.state_dict().items():
        if name.endswith(".num_batches_tracked") and name not in state:
            state[name] = torch.tensor(int(progress.get("step", 0)), dtype=buffer.dtype)
    for name, buffer in model.state_dict().items():
        if name in state and buffer.dtype.is_floating_point:
            state[name] = state[name].to(buffer.dtype)
    standardizer = None
    if "standardize.mean" in tensors and "standardize.std" in tensors:
        standardizer = (tensors["standardize.mean"].float(), tensors["standardize.std"].float())
    return state, standardizer, metadata


def load_weights(model, path):
    """Loads nnc's (or this script's) weights into the model with strict=True; returns the
    standardizer saved with them, or None."""
    state, standardizer, _ = checkpoint_state_dict(model, path)
    model.load_state_dict(state, strict=True)
    return standardizer


def save_weights(model, path, standardizer, epoch, step):
    """Saves the weights and batch-norm statistics under the model's state_dict keys (what
    'nnc eval --checkpoint' and 'nnc run --init' read), with the standardizer beside them."""
    tensors = dict(model.state_dict())
    if standardizer is not None:
        tensors["standardize.mean"], tensors["standardize.std"] = standardizer
    names = [name for name, _ in model.named_parameters()]
    buffers = [name for name, _ in model.named_buffers() if "num_batches_tracked" not in name]
    metadata = {
        "model": MODEL,
        "params": json.dumps(names),
        "state": json.dumps(buffers),
        "progress": json.dumps({"epoch": epoch, "step": step}),
        "written_by": "PyTorch script exported by nnc",
    }
    write_safetensors(path, tensors, metadata)


# --- data ------------------------------------------------------------------------------------------


def load_splits(path):
    """{split: (features, targets)} from the data file nnc wrote next to this script: the splits
    as nnc makes them (before standardization), targets encoded as the model's target reads them."""
    tensors, _ = read_safetensors(path)
    splits = {}
    for split in ("train", "validation", "test"):
        if split + ".features" in tensors:
            targets = tensors[split + ".targets"]
            targets = targets.long() if CLASS_TARGET else targets.float()
            splits[split] = (tensors[split + ".features"].float(), targets)
    return splits


def fit_standardizer(features):
    """Mean and population std per feature of the training split (float64 sums); a feature that is
    constant there gets std 1, as nnc's standardizer does."""
    flat = features.reshape(features.shape[0], -1).double()
    mean = flat.mean(dim=0)
    std = ((flat - mean) ** 2).mean(dim=0).sqrt()
    constant = flat.amin(dim=0) == flat.amax(dim=0)
    std = torch.where(constant, torch.ones_like(std), std)
    return mean.float(), std.float()


def standardize(features, standardizer):
    if standardizer is None:
        return features
    mean, std = standardizer
    shape = features.shape
    return ((features.reshape(shape[0], -1) - mean) / std).reshape(shape)


# --- metrics ---------------------------------------------------------------------------------------


class Metrics:
    """Loss (with and without the regularization term), accuracy and MSE over a pass, batch by
    batch, as nnc reports them."""

    def __init__(self):
        self.n = 0
        self.data_loss = 0.0
        self.reg_loss = 0.0
        self.correct = 0
        self.squared_error = 0.0
        self.elements = 0

    def add(self, size, data_loss, reg_loss, prediction, targets):
        self.data_loss += float(data_loss) * (size if REDUCTION == "mean" else 1)
        self.reg_loss += float(reg_loss) * size
        self.n += size
        prediction = prediction.detach()
        if LOSS == "mse":
            self.squared_error += float(((prediction - targets) ** 2).sum())
            self.elements += targets.numel()
        elif LOSS == "cross_entropy":
            labels = targets if targets.dim() == 1 else targets.argmax(dim=1)
            self.correct += int((prediction.argmax(dim=1) == labels).sum())
        else:
            positive = targets.reshape(size, -1)[:, 0] > (0.5 if LOSS == "bce_with_logits" else 0.0)
            self.correct += int(((prediction.reshape(size, -1)[:, 0] > 0) == positive).sum())

    def all_reduce(self, device):
        """Sums the counts of every process, so each one reports the metrics of the whole pass."""
        if not dist.is_initialized():
            return self
        counts = [self.n, self.data_loss, self.reg_loss]
        counts += [self.correct, self.squared_error, self.elements]
        totals = torch.tensor(counts, dtype=torch.float64, device=device)
        dist.all_reduce(totals)
        n, data_loss, reg_loss, correct, squared_error, elements = totals.tolist()
        self.n, self.data_loss, self.reg_loss = int(n), data_loss, reg_loss
        self.correct, self.squared_error, self.elements = int(correct), squared_error, int(elements)
        return self

    def result(self):
        n = max(self.n, 1)
        data_loss = self.data_loss / n if REDUCTION == "mean" else self.data_loss
        reg_loss = self.reg_loss / n
        return {
            "loss": data_loss + reg_loss,
            "data_loss": data_loss,
            "reg_loss": reg_loss,
            "accuracy": None if LOSS == "mse" else self.correct / n,
            "mse": self.squared_error / max(self.elements, 1) if LOSS == "mse" else None,
        }


@torch.no_grad()
def evaluate(model, features, targets, device, batch=1024):
    """The metrics of the evaluation mode (dropout off, batch norm on its running statistics)."""
    was_training = model.training
    model.eval()
    metrics = Metrics()
    for start in range(0, features.shape[0], batch):
        x = features[start : start + batch].to(device)
        y = targets[start : start + batch].to(device)
        prediction = model(x)
        metrics.add(x.shape[0], data_loss(prediction, y), regularization(model), prediction, y)
    model.train(was_training)
    return metrics.result()


def describe(name, metrics):
    parts = [f"{name}_loss {metrics['loss']:.6g}"]
    if metrics["accuracy"] is not None:
        parts.append(f"{name}_accuracy {100 * metrics['accuracy']:.2f}%")
    if metrics["mse"] is not None:
        parts.append(f"{name}_mse {metrics['mse']:.6g}")
    return "  ".join(parts)


# --- early stopping ------------------------------------------------------------------------------


class EarlyStopping:
    """nnc's rule (Keras's): an epoch improves when the metric beats the best so far by more than
    min_delta; stop after 'patience' epochs in a row without improvement."""

    def __init__(self, metric, mode, patience, min_delta, restore):
        self.metric, self.mode, self.patience = metric, mode, patience
        self.min_delta, self.restore = min_delta, restore
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = 0
        self.waited = 0

    def update(self, epoch, metrics):
        """Returns (improved, stop)."""
        value = metrics.get(self.metric)
        if value is None:
            return False, False
        if self.mode == "min":
            improved = value < self.best - self.min_delta
        else:
            improved = value > self.best + self.min_delta
        if improved:
            self.best, self.best_epoch, self.waited = value, epoch, 0
        else:
            self.waited += 1
        return improved, (not improved and self.waited >= self.patience)


# --- processes -----------------------------------------------------------------------------------


def setup_processes():
    """Under torchrun (WORLD_SIZE > 1): one process per rank, NCCL on GPUs and gloo on CPUs.
    Returns (rank, world_size, device)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if world > 1:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return rank, world, device


def batches_of(indices, size):
    for start in range(0, len(indices), size):
        yield indices[start : start + size]
`;

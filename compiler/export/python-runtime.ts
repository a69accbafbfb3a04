// The part of an exported PyTorch script that is the same for every model: the data (the file
// written next to the script; a CSV source is read by python-csv.ts), the standardizer, metrics,
// early stopping and the process-group set-up for torchrun. Safetensors and checkpoints are in
// python-checkpoints.ts; the per-model parts (the module, the loss, the optimizer, the schedule,
// the loop's settings) come from python-module.ts and python-train.ts.

export const PYTHON_RUNTIME = String.raw`
# --- data ------------------------------------------------------------------------------------------


def load_splits(path):
    """{split: (features, targets)}, before standardization, targets encoded as the model's target
    reads them: from the data file nnc wrote next to this script (the splits as nnc makes them),
    or, for a CSV source (CSV set), from the CSV file, split as nnc splits it."""
    if CSV is not None:
        features, targets = read_csv_file(path)
        rows = split_rows(features.shape[0])
        parts = {name: (features[part], targets[part]) for name, part in rows.items()}
    else:
        tensors, _ = read_safetensors(path)
        parts = {}
        for split in ("train", "validation", "test"):
            if split + ".features" in tensors:
                parts[split] = (tensors[split + ".features"], tensors[split + ".targets"])
    splits = {}
    for split, (features, targets) in parts.items():
        targets = targets.long() if CLASS_TARGET else targets.float()
        splits[split] = (features.float(), targets)
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

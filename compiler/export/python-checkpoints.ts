// The part of an exported PyTorch script that reads and writes safetensors and nnc's checkpoints:
// safetensors in plain Python (Debian's python3-torch has no `safetensors` package, and the format
// is small: an 8-byte little-endian header length, a JSON header, then the raw little-endian
// data); loading nnc's checkpoints into the module with a strict `load_state_dict` (format 3 holds
// exactly the module's state_dict; older formats are filtered), and saving the same layout, so
// that `nnc eval` and `nnc run --init` read what the script saved.

export const PYTHON_CHECKPOINTS = String.raw`
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

    nnc's checkpoints (format nnc-checkpoint-3) hold exactly this module's state_dict, batch norm's
    num_batches_tracked included, with the standardizer in their metadata and the optimizer state
    in a separate file; they are taken as they are. Files of older formats also held the optimizer
    state ("optimizer.*") and the standardizer ("standardize.*"), and no num_batches_tracked: those
    entries are left out, and the counter is filled in from the step count the file records.
    Returns (state_dict, standardizer or None, metadata)."""
    tensors, metadata = read_safetensors(path)
    current = metadata.get("format") == CHECKPOINT_FORMAT
    listed = None
    if "params" in metadata:
        listed = set(json.loads(metadata["params"]) + json.loads(metadata.get("state", "[]")))
    state = {}
    for name, tensor in tensors.items():
        if current or name.endswith(".num_batches_tracked"):
            state[name] = tensor
        elif listed is not None and name in listed:
            state[name] = tensor
        elif listed is None and not name.startswith(("optimizer.", "standardize.")):
            state[name] = tensor
    progress = json.loads(metadata.get("progress", '{"step": 0}'))
    for name, buffer in model.state_dict().items():
        if name.endswith(".num_batches_tracked") and name not in state:
            state[name] = torch.tensor(int(progress.get("step", 0)), dtype=buffer.dtype)
    for name, buffer in model.state_dict().items():
        if name in state and buffer.dtype.is_floating_point:
            state[name] = state[name].to(buffer.dtype)
    standardizer = None
    if "standardize" in metadata:
        saved = json.loads(metadata["standardize"])
        standardizer = (torch.tensor(saved["mean"], dtype=torch.float32), torch.tensor(saved["std"], dtype=torch.float32))
    elif "standardize.mean" in tensors and "standardize.std" in tensors:
        standardizer = (tensors["standardize.mean"].float(), tensors["standardize.std"].float())
    return state, standardizer, metadata


def load_weights(model, path):
    """Loads nnc's (or this script's) weights into the model with strict=True; returns the
    standardizer saved with them, or None."""
    state, standardizer, _ = checkpoint_state_dict(model, path)
    model.load_state_dict(state, strict=True)
    return standardizer


def save_weights(model, path, standardizer, epoch, step):
    """Saves the model's state_dict as nnc's checkpoints hold it (what 'nnc eval --checkpoint' and
    'nnc run --init' read): exactly the state_dict's keys, with the standardizer, the progress and
    the names of the parameters and batch-norm statistics in the metadata. No optimizer state:
    'nnc run --resume' cannot continue from it, '--init' starts from its weights."""
    names = [name for name, _ in model.named_parameters()]
    buffers = [name for name, _ in model.named_buffers()]
    buffers = [name for name in buffers if not name.endswith(".num_batches_tracked")]
    metadata = {
        "format": CHECKPOINT_FORMAT,
        "model": MODEL,
        "params": json.dumps(names),
        "state": json.dumps(buffers),
        "progress": json.dumps({"epoch": epoch, "step": step}),
        "written_by": "PyTorch script exported by nnc",
    }
    if standardizer is not None:
        mean, std = standardizer
        metadata["standardize"] = json.dumps({"mean": mean.tolist(), "std": std.tolist()})
    write_safetensors(path, dict(model.state_dict()), metadata)
`;

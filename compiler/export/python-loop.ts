// The training loop of an exported PyTorch script: the same on every model, driven by the
// constants python-train.ts writes. It runs as `python script.py` (one process, CPU or GPU) and
// under `torchrun --nproc_per_node=N script.py` (DistributedDataParallel, one DistributedSampler
// shard per process; `batch` stays the number of examples per optimizer step over all processes).

export const PYTHON_LOOP = String.raw`
def fresh_start(optimizer, lr0):
    """Before each part of a sequence is built: the part starts from lr0, not from where the
    part built before it left the rate."""
    for group in optimizer.param_groups:
        group.pop("initial_lr", None)
        group["lr"] = lr0
    for group in optimizer.param_groups:
        group.setdefault("initial_lr", lr0)


def sync_buffers(model):
    """Batch norm's running statistics from process 0 on every process (what DDP does before each
    forward pass), so that evaluation, early stopping and the saved weights agree everywhere."""
    if dist.is_initialized():
        for buffer in model.buffers():
            dist.broadcast(buffer, src=0)


def advance(scheduler):
    if scheduler is None:
        return
    if ONECYCLE_STEPS is not None and scheduler.last_epoch >= ONECYCLE_STEPS - 1:
        return  # OneCycleLR stops at its last rate, as nnc's onecycle does past total_steps
    scheduler.step()


def main(argv=None):
    parser = argparse.ArgumentParser(description=f"Train the model {MODEL} (exported by nnc).")
    parser.add_argument("--init", help="start from these weights: a safetensors file written by nnc or by this script")
    parser.add_argument("--save", default=DEFAULT_SAVE, help="where the trained weights go (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="passes over the training data (default: %(default)s)")
    parser.add_argument("--data", default=DATA_FILE, help="the data: the file nnc wrote, or the CSV file (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per epoch and one at the end")
    args = parser.parse_args(argv)
    # SequentialLR starts each part with scheduler.step(0), which PyTorch marks as deprecated.
    warnings.filterwarnings("ignore", category=UserWarning, module="torch.optim.lr_scheduler")

    rank, world, device = setup_processes()
    torch.manual_seed(SEED)
    splits = load_splits(args.data)
    standardizer = fit_standardizer(splits["train"][0]) if STANDARDIZE else None
    splits = {name: (standardize(x, standardizer), y) for name, (x, y) in splits.items()}
    train_x, train_y = (t.to(device) for t in splits["train"])

    model = MODEL_CLASS()
    if args.init:
        load_weights(model, args.init)
    model.to(device)
    if LBFGS:
        # nnc's L-BFGS evaluations leave batch norm's running statistics as they are.
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.momentum = 0.0
    network = model
    if world > 1:
        if device.type == "cuda" and BATCH_NORMS:
            network = nn.SyncBatchNorm.convert_sync_batchnorm(network)
        network = DDP(network, device_ids=[device] if device.type == "cuda" else None, find_unused_parameters=FIND_UNUSED_PARAMETERS)
    # Parameters that a step leaves without a gradient still take the step (with zeros), as in nnc.
    for parameter in model.parameters():
        parameter.grad = torch.zeros_like(parameter)
    optimizer = make_optimizer(model)

    sampler = DistributedSampler(range(train_x.shape[0]), num_replicas=world, rank=rank, shuffle=SHUFFLE, seed=SEED, drop_last=False)
    per_process = len(sampler) if BATCH is None else max(1, math.ceil(BATCH / world))
    steps_per_epoch = 1 if LBFGS else math.ceil(len(sampler) / per_process)
    scheduler = make_schedule(optimizer, steps_per_epoch * args.epochs if SCHEDULE_EVERY == "step" else args.epochs)
    stopper = EarlyStopping(**EARLY_STOPPING) if EARLY_STOPPING else None
    torch.manual_seed(SEED + 1 + rank)  # dropout masks: a different stream on every process

    best, step, epoch, history = None, 0, 0, []
    while epoch < args.epochs:
        sampler.set_epoch(epoch)
        indices = torch.tensor(list(sampler), dtype=torch.long, device=device)
        lr = optimizer.param_groups[0]["lr"]
        network.train()
        if LBFGS:
            x, y = train_x[indices], train_y[indices]

            def closure():
                # One set of dropout masks for every evaluation of a step.
                torch.manual_seed(SEED + 7919 * (step + 1) + rank)
                optimizer.zero_grad(set_to_none=False)
                objective = data_loss(network(x), y)
                if REDUCTION == "sum":
                    objective = objective * world
                objective = objective + regularization(model)
                objective.backward()
                value = objective.detach().clone()
                if world > 1:
                    dist.all_reduce(value)
                    value /= world
                return value

            optimizer.step(closure)
            step += 1
            if SCHEDULE_EVERY == "step":
                advance(scheduler)
            train = evaluate(model, *splits["train"], device)
        else:
            metrics = Metrics()
            for batch in batches_of(indices, per_process):
                x, y = train_x[batch], train_y[batch]
                optimizer.zero_grad(set_to_none=False)
                prediction = network(x)
                data = data_loss(prediction, y)
                penalty = regularization(model)
                # DDP averages the gradients of the processes; a summed loss is scaled back up.
                ((data * world if REDUCTION == "sum" else data) + penalty).backward()
                if CLIP_GRAD_NORM is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), CLIP_GRAD_NORM)
                optimizer.step()
                step += 1
                if SCHEDULE_EVERY == "step" and PLATEAU_METRIC is None:
                    advance(scheduler)
                metrics.add(x.shape[0], data, penalty, prediction, y)
            train = metrics.all_reduce(device).result()
        epoch += 1
        sync_buffers(model)
        validation = None
        if "validation" in splits:
            validation = evaluate(model, *splits["validation"], device)
        record = {"train_loss": train["loss"]}
        if validation is not None:
            record["val_loss"] = validation["loss"]
            if validation["accuracy"] is not None:
                record["val_accuracy"] = validation["accuracy"]
            if validation["mse"] is not None:
                record["val_mse"] = validation["mse"]
        if PLATEAU_METRIC is not None:
            if PLATEAU_METRIC in record:
                scheduler.step(record[PLATEAU_METRIC])
        elif SCHEDULE_EVERY == "epoch":
            advance(scheduler)
        improved, stop = stopper.update(epoch, record) if stopper else (None, False)
        if improved and stopper.restore == "best":
            best = copy.deepcopy(model.state_dict())
        history.append(record)
        if rank == 0:
            if args.json:
                report = {"epoch": epoch, "step": step, "lr": lr}
                print(json.dumps({**report, "train": train, "validation": validation}), flush=True)
            else:
                text = describe("train", train)
                if validation:
                    text += "  " + describe("val", validation)
                print(f"epoch {epoch}/{args.epochs}  lr {lr:.4g}  {text}", flush=True)
            if CHECKPOINT_EVERY and epoch % CHECKPOINT_EVERY == 0:
                save_weights(model, args.save, standardizer, epoch, step)
        if stop:
            break

    if best is not None:
        model.load_state_dict(best)
    test = evaluate(model, *splits["test"], device) if "test" in splits else None
    agreement = None
    if world > 1:
        # Every process must end with the same weights; measure it rather than assume it.
        flat = torch.cat([t.detach().reshape(-1).double() for t in model.state_dict().values()])
        reference = flat.clone()
        dist.broadcast(reference, src=0)
        difference = (flat - reference).abs().max()
        dist.all_reduce(difference, op=dist.ReduceOp.MAX)
        agreement = float(difference)
    if rank == 0:
        save_weights(model, args.save, standardizer, epoch, step)
        summary = {
            "epochs": epoch,
            "steps": step,
            "processes": world,
            "test": test,
            "history": history,
            "max_weight_difference_between_processes": agreement,
            "saved": args.save,
        }
        if args.json:
            print(json.dumps(summary), flush=True)
        else:
            if test is not None:
                print(describe("test", test))
            if agreement is not None:
                print(f"weights on all {world} processes agree (largest difference {agreement:.3g})")
            print(f"saved {args.save}")
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
`;

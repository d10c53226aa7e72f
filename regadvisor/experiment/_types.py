"""The loaded experiment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from regadvisor.training.config import OptimizerSpec
from regadvisor.training.schedule import Schedule

__all__ = ["Experiment"]


@dataclass(frozen=True)
class Experiment:
    """A user's experiment, loaded and checked against the contract.

    Attributes:
        name: Short name for folders and titles (the file's or module's stem).
        source: Where it came from, for messages and the report (a path, a module, import
            strings, or ``bundled example NAME``).
        model_factory: Returns a fresh, untrained model at each call.
        train_loader, val_loader, test_loader: The user's loaders (``test_loader`` may be None).
        optimizer: The user's optimizer as read from ``optimizer(params)`` (default Adam, lr 1e-3).
        loss_factory: Returns the loss module, or None for the task's default.
        task: ``"classification"`` or ``"regression"``.
        metric: ``"accuracy"`` or ``"loss"``: what the user cares about.
        epochs: How long the user normally trains (the baseline length).
        n_classes: Number of classes (classification), from the model's output.
        n_train, n_val, n_test: Samples per split, where the loaders tell.
        batch_size: The training loader's batch size, where it tells.
        input_shape: Shape of one input sample.
        layer_order: Names of the linear and convolutional layers in the order the model's
            forward pass ran them on the first training batch.
        schedule: The user's learning-rate schedule (``scheduler(optimizer)`` and when it
            steps), or None for a constant rate.
        batch: The user's ``batch(b) -> (inputs, targets)``, or None when the batches are
            ``(inputs, targets)`` or ``(input_1, ..., input_k, targets)`` already.
        inputs: How a batch's inputs reach the model, in words.
        outputs: What the model returns and where its logits are read, in words.
        training_step: The user's ``training_step(model, batch) -> loss``, or None when the
            loss of the logits trains; ``clip_grad`` the user's ``clip_grad(model)``, or None.
        trains_with: The loss that trains, in words (the report shows it).
        augment: The augmentation strength of the user's ``data(augment=s)`` (its default), or
            None when ``data`` takes no ``augment``; ``data_factory`` is that ``data``.
        lightning: For a ``LightningModule`` or ``LightningDataModule`` experiment: the
            module's class (``module``), whether ``data()`` returned a data module
            (``datamodule``), the keys its ``validation_step`` logs (``validation_logs``) and
            the ``monitor`` its ``configure_optimizers`` names; None otherwise.
        model_class: Class name of the model; ``model_module`` the module that defines it
            (``transformers.models.bert.modeling_bert``).
        target_variance: Variance of the training targets (regression).
        label_smoothing: The label smoothing ε of the user's own loss (0 when none).
        bundled: Whether this is one of regadvisor's bundled examples.
        fingerprint: The experiment's identity as far as the diagnosis and the tuning go: the
            model, the training and validation data, the optimizer, the loss, the schedule, the
            task, metric and epochs, and the user's own code
            (:mod:`regadvisor.experiment._fingerprint`). A run folder or a study made for one
            experiment is refused to another.
        test_fingerprint: The identity of the test loader (empty when there is none): when only
            it differs, a run folder keeps its tuning and verifies again.
        notes: Facts the loader noticed (task inferred, defaults used, ...).
    """

    name: str
    source: str
    model_factory: Callable[[], nn.Module]
    train_loader: Any
    val_loader: Any
    test_loader: Any | None
    optimizer: OptimizerSpec
    loss_factory: Callable[[], nn.Module] | None
    task: str
    metric: str
    epochs: int
    n_classes: int | None = None
    n_train: int | None = None
    n_val: int | None = None
    n_test: int | None = None
    batch_size: int | None = None
    input_shape: tuple[int, ...] = ()
    layer_order: tuple[str, ...] = ()
    schedule: Schedule | None = None
    batch: Callable[[Any], Any] | None = None
    inputs: str = "one tensor, called as model(inputs)"
    outputs: str = "one tensor, the logits"
    training_step: Callable[[nn.Module, Any], Any] | None = None
    clip_grad: Callable[[nn.Module], Any] | None = None
    trains_with: str = ""
    model_class: str = ""
    model_module: str = ""
    target_variance: float | None = None
    label_smoothing: float = 0.0
    bundled: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)
    fingerprint: str = ""
    test_fingerprint: str = ""
    augment: float | None = None
    data_factory: Callable[..., Any] | None = field(default=None, repr=False)
    lightning: dict[str, Any] | None = None
    _augmented: dict[float, Any] = field(default_factory=dict, repr=False, compare=False)

    def train_loader_for(self, config: Any) -> Any:
        """The training loader a run with ``config`` trains on: the experiment's own, or
        ``data(augment=s)``'s when the config asks for another augmentation strength ``s``
        (built once per strength; the validation and test loaders stay the experiment's)."""
        strength = getattr(config, "augment", None)
        if strength is None or self.data_factory is None or strength == self.augment:
            return self.train_loader
        key = round(float(strength), 6)
        if key not in self._augmented:
            self._augmented[key] = self.data_factory(augment=key)[0]
        return self._augmented[key]

    @property
    def higher_is_better(self) -> bool:
        return self.metric == "accuracy"

    def summary(self) -> dict[str, Any]:
        """Plain facts about the experiment, for JSON and the report."""
        return {
            "name": self.name,
            "source": self.source,
            "task": self.task,
            "metric": self.metric,
            "epochs": self.epochs,
            "n_classes": self.n_classes,
            "n_train": self.n_train,
            "n_val": self.n_val,
            "n_test": self.n_test,
            "batch_size": self.batch_size,
            "input_shape": list(self.input_shape),
            "model_class": self.model_class,
            "model_module": self.model_module,
            "optimizer": {"name": self.optimizer.name, "lr": self.optimizer.lr,
                          "weight_decay": self.optimizer.weight_decay},
            "scheduler": self.schedule.describe() if self.schedule is not None else None,
            "scheduler_class": self.schedule.name if self.schedule is not None else None,
            "scheduler_interval": self.schedule.interval if self.schedule is not None else None,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "loss": self.trains_with,
            "training_step": self.training_step is not None,
            "clip_grad": self.clip_grad is not None,
            "augment": self.augment,
            "lightning": self.lightning,
            "bundled": self.bundled,
            "notes": list(self.notes),
            "fingerprint": self.fingerprint,
            "test_fingerprint": self.test_fingerprint,
        }

"""The experiment's identity: every change that changes results changes it, nothing else does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from regadvisor.experiment import load_experiment

ROOT = Path(__file__).resolve().parents[2]

# A small experiment whose pieces the tests below vary one at a time: a custom map-style Dataset
# (not a TensorDataset) behind a shuffled DataLoader, and a small MLP.
EXPERIMENT = (ROOT / "tests" / "assets" / "noisy_dataset.py").read_text()


@pytest.fixture
def load(tmp_path, monkeypatch):
    """Write an experiment (and helper modules) into a fresh folder and load it; the modules it
    imported are forgotten afterwards, so that the next folder's helpers of the same name load."""
    counter = iter(range(1000))

    def run(text: str = EXPERIMENT, name: str = "exp.py", files: dict | None = None,
            **helpers: str):
        folder = tmp_path / f"p{next(counter)}"
        folder.mkdir()
        for module, source in helpers.items():
            (folder / f"{module}.py").write_text(textwrap.dedent(source))
        for file, write in (files or {}).items():
            write(folder / file)
        (folder / name).write_text(text)
        before = set(sys.modules)
        monkeypatch.setattr(sys, "path", list(sys.path))
        try:
            return load_experiment(str(folder / name))
        finally:
            for added in set(sys.modules) - before:
                del sys.modules[added]

    return run


def test_the_same_experiment_has_the_same_identity(load):
    first, second = load(), load()
    assert first.fingerprint == second.fingerprint
    assert first.test_fingerprint == second.test_fingerprint


def test_another_activation_is_another_experiment(load):
    relu = load()
    tanh = load(EXPERIMENT.replace("nn.ReLU()", "nn.Tanh()"))
    assert relu.fingerprint != tanh.fingerprint


def test_other_labels_of_a_custom_dataset_are_another_experiment(load):
    plain = load()
    noisier = load(EXPERIMENT.replace("Noisy(96, 0.2, 0)", "Noisy(96, 0.6, 0)"))
    assert plain.fingerprint != noisier.fingerprint


def test_other_initial_weights_are_another_experiment(load):
    """Same code, same layers: the weights model() starts from (a checkpoint) differ."""
    import torch
    from torch import nn

    text = EXPERIMENT.replace("import torch\n", "import torch\nfrom pathlib import Path\n")
    text = text.replace(
        "    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))",
        "    m = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))\n"
        "    m.load_state_dict(torch.load(Path(__file__).with_name('init.pt')))\n"
        "    return m")

    def checkpoint(seed):
        torch.manual_seed(seed)
        state = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3)).state_dict()
        return {"init.pt": lambda path: torch.save(state, path)}

    first = load(text, files=checkpoint(0))
    assert load(text, files=checkpoint(0)).fingerprint == first.fingerprint
    assert load(text, files=checkpoint(1)).fingerprint != first.fingerprint


def test_a_forward_changed_in_an_imported_module_of_the_folder_is_another_experiment(load):
    """The layer's repr, parameters and weights are the same; only its code differs."""
    layer = """
        import torch
        from torch import nn

        class Scaled(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(8, 3)

            def forward(self, x):
                return self.lin(x) * {scale}
        """
    text = EXPERIMENT.replace("import torch\n", "import torch\nfrom layers import Scaled\n")
    text = text.replace("nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))",
                        "Scaled()")
    two = load(text, layers=layer.format(scale=2))
    three = load(text, layers=layer.format(scale=3))
    assert two.fingerprint != three.fingerprint
    assert load(text, layers=layer.format(scale=2)).fingerprint == two.fingerprint


def test_comments_docstrings_formatting_and_the_files_name_do_not_count(load):
    plain = load()
    edited = EXPERIMENT.replace('"""Points in 8 dimensions', '"""Other words: points')
    edited = edited.replace("epochs = 3", "epochs = (3)  # short, for the test")
    edited = edited.replace("def model():", "# the network\n\n\ndef model():")
    renamed = load(edited, name="renamed_experiment.py")
    assert renamed.fingerprint == plain.fingerprint
    assert renamed.test_fingerprint == plain.test_fingerprint


def test_top_level_code_that_runs_does_not_count_but_definitions_do(load):
    """A script's own call (of the Python API, say) is no part of the experiment."""
    plain = load()
    script = EXPERIMENT + (
        '\nprint("loaded")\nrun = dict(n_trials=20)\n\nif __name__ == "__main__":\n'
        '    import regadvisor\n    regadvisor.advise(model=model, data=data, n_trials=20)\n')
    assert load(script).fingerprint == plain.fingerprint
    assert load(script.replace("n_trials=20", "n_trials=40")).fingerprint == plain.fingerprint
    constant = EXPERIMENT.replace("epochs = 3", "epochs = 3\nSCALE = 2.0")
    assert load(constant).fingerprint != plain.fingerprint


def test_a_change_of_the_test_loader_only_keeps_the_tuning_identity(load):
    """What tuning depends on is one part, the test loader another."""
    plain = load()
    other_test = load(EXPERIMENT.replace("Noisy(48, 0.0, 2)", "Noisy(64, 0.0, 3)"))
    assert other_test.fingerprint == plain.fingerprint
    assert other_test.test_fingerprint != plain.test_fingerprint
    other_val = load(EXPERIMENT.replace("Noisy(48, 0.0, 1)", "Noisy(48, 0.0, 4)"))
    assert other_val.fingerprint != plain.fingerprint
    no_test = load(EXPERIMENT.replace(",\n            DataLoader(Noisy(48, 0.0, 2), batch_size=16)",
                                      ""))
    assert no_test.test_loader is None
    assert no_test.fingerprint == plain.fingerprint
    assert no_test.test_fingerprint != plain.test_fingerprint


def test_an_augmentation_with_its_own_unseeded_generator_still_resumes(load):
    """Values that differ from one read to the next count by their shape; the labels still
    count in full."""
    text = EXPERIMENT.replace("        self.y = (", "        self.rng = np.random.default_rng()\n"
                              "        self.y = (")
    text = text.replace("import torch\n", "import numpy as np\nimport torch\n")
    text = text.replace(
        "        return self.x[i], self.y[i]",
        "        return self.x[i] + float(self.rng.normal(0, 0.1)), self.y[i]")
    first, again = load(text), load(text)
    assert first.fingerprint == again.fingerprint
    assert first.test_fingerprint == again.test_fingerprint
    noisier = load(text.replace("Noisy(96, 0.2, 0)", "Noisy(96, 0.6, 0)"))
    assert noisier.fingerprint != first.fingerprint


def test_an_iterable_dataset_is_sampled(load):
    stream = '''\
import torch
from torch import nn
from torch.utils.data import DataLoader, IterableDataset, TensorDataset

epochs = 3


class Stream(IterableDataset):
    def __iter__(self):
        g = torch.Generator().manual_seed(0)
        while True:  # endless, shuffled on the fly
            x = torch.randn(8, generator=g) + torch.randn(8)
            yield x, int(x[0] > {cut})


def model():
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))


def data():
    val = TensorDataset(torch.ones(16, 8), torch.zeros(16, dtype=torch.long))
    return DataLoader(Stream(), batch_size=16), DataLoader(val, batch_size=16)
'''
    first, again = load(stream.format(cut=0)), load(stream.format(cut=0))
    assert first.fingerprint == again.fingerprint
    assert load(stream.format(cut=1)).fingerprint != first.fingerprint


def test_the_identity_is_the_same_in_another_process(tmp_path, load):
    """No hash randomization, no object addresses: a worker process must agree."""
    text = EXPERIMENT.replace(
        "        return self.x[i], self.y[i]",
        "        return self.x[i] + 0.1 * torch.randn(8), self.y[i]  # a random augmentation")
    here = load(text)
    path = tmp_path / "again" / "exp.py"
    path.parent.mkdir()
    path.write_text(text)
    code = ("import json, torch; torch.manual_seed(123)\n"
            "from regadvisor.experiment import load_experiment\n"
            f"e = load_experiment({str(path)!r})\n"
            "print(json.dumps([e.fingerprint, e.test_fingerprint]))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "12345",
           "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True, timeout=120)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [here.fingerprint,
                                                                here.test_fingerprint]

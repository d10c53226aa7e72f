"""The training loader never ends an epoch (an endless stream)."""

from _asset_data import loaders, mlp, tensors
from torch.utils.data import DataLoader, IterableDataset

epochs = 5


class Endless(IterableDataset):
    def __iter__(self):
        x, y = tensors()
        while True:
            for i in range(len(y)):
                yield x[i], y[i]


def model():
    return mlp()


def data():
    return DataLoader(Endless(), batch_size=16), loaders()[1]

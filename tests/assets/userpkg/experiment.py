from userpkg.data import loaders
from userpkg.models import build

epochs = 2


def model():
    return build()


def data():
    return loaders()

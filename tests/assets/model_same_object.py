from _asset_data import loaders, mlp

_M = mlp()


def model():
    return _M


def data():
    return loaders()

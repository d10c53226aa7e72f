from _asset_data import loaders, mlp


def model():
    return mlp()


def data():
    tr, va = loaders()
    return tr, va, va, va

from _asset_data import loaders, mlp


def model():
    return mlp().to("meta")


def data():
    return loaders()

from _asset_data import loaders

model = 3


def data():
    return loaders()

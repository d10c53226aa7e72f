from _asset_data import loaders


def data():
    return loaders()

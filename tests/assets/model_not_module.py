from _asset_data import loaders


def model():
    return 42


def data():
    return loaders()

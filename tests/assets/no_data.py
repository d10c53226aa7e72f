from _asset_data import mlp


def model():
    return mlp()

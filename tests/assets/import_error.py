import regadvisor_missing_dependency_xyz  # noqa: F401


def model():
    return None

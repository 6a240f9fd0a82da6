x = {"a": [1, 2, 3,], "b": (4,), **rest}
class A(B, metaclass=M):
    """Doc."""
    y: int = 1
    def f(self, *args, **kwargs): return call(first_argument_value, second_argument_value, *args, **kwargs)

x = 1
y = ((a for)
# c
(b))
z = f(lambda
# c
, b)
n = [0XFF, 1E+5, 1., .5, 1.J, 0B1, 0O7, 1_000, 0x_ff, 1e-5]

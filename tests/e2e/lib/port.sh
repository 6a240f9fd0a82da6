# port.sh - a free TCP port on the loopback address, for the private
# database servers of the end-to-end scripts (sourced by them).
#
#   port=$(free_tcp_port) || ...
#
# The kernel picks a port nobody listens on; the server that is then started
# on it fails to bind in the rare case another program took it in between.

free_tcp_port() {
    /usr/bin/python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

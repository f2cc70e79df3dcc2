"""Wire formats that the app and the gateway both speak.

A format lives here, not in the server or the client, so that neither side imports the other:
the probes (client side) and the gateway (server side) each import only this package.
"""

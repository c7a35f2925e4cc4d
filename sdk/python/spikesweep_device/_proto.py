"""The protocol's messages and service stubs, generated from device.proto at import time.

grpcio-tools compiles the .proto shipped inside this package (the same file the TypeScript side
loads), so there is no generated code to keep in sync.
"""
import grpc

pb, services = grpc.protos_and_services("spikesweep_device/device.proto")

PROTOCOL_VERSION = 1

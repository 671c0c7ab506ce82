@_exported import WarrenWire

// RoloStore

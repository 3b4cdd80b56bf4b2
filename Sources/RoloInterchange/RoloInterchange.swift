// RoloInterchange

// RoloSync

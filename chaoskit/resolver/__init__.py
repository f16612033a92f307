"""The lab's resolver tier: Unbound between every client and the lab authority."""

"""The seed documents' own example bodies, fed to the clients without the simulator."""

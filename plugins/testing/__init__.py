"""Contract test kits: reusable pytest suites a plugin's tests run against their backend.

- `plugins.testing.ims.IMSPluginContract`: the IMS plugin contract (see its module docstring).
"""

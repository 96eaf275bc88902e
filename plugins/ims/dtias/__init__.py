"""Dell DTIAS (Telecom Infrastructure Automation Suite) IMS plugin (httpx)."""

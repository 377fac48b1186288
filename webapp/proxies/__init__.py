"""Proxies (委托代理人): an owner's written authorisation for one assembly, approved by a supervisor."""

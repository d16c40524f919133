"""Shared HTTP plumbing for venue plugins: rate limits, retries, error mapping."""

from arbkit.net.http import ErrorMapper, VenueHttp, default_error_mapper, response_message
from arbkit.net.ratelimit import TokenBucket

__all__ = ["ErrorMapper", "TokenBucket", "VenueHttp", "default_error_mapper", "response_message"]

"""The VES 7.x event structure the ONAP plugin's events are checked against: the common event header and the
`notification` and `fault` domain blocks with the properties VES 7.2.1 (CommonEventFormat_30.2.1_ONAP.json)
requires, their types and enumerations, as JSON Schema."""

from __future__ import annotations

from typing import Any

HEADER = {
    "type": "object",
    "required": [
        "domain",
        "eventId",
        "eventName",
        "lastEpochMicrosec",
        "priority",
        "reportingEntityName",
        "sequence",
        "sourceName",
        "startEpochMicrosec",
        "version",
        "vesEventListenerVersion",
    ],
    "properties": {
        "domain": {
            "enum": [
                "fault",
                "heartbeat",
                "measurement",
                "mobileFlow",
                "notification",
                "other",
                "perf3gpp",
                "pnfRegistration",
                "sipSignaling",
                "stateChange",
                "syslog",
                "thresholdCrossingAlert",
                "voiceQuality",
            ]
        },
        "eventId": {"type": "string"},
        "eventName": {"type": "string"},
        "eventType": {"type": "string"},
        "lastEpochMicrosec": {"type": "number"},
        "priority": {"enum": ["High", "Medium", "Normal", "Low"]},
        "reportingEntityName": {"type": "string"},
        "sequence": {"type": "integer"},
        "sourceId": {"type": "string"},
        "sourceName": {"type": "string"},
        "startEpochMicrosec": {"type": "number"},
        "version": {"enum": ["4.0", "4.0.1", "4.1"]},
        "vesEventListenerVersion": {"type": "string", "pattern": r"^7\.[0-9]+(\.[0-9]+)?$"},
    },
}
NOTIFICATION = {
    "type": "object",
    "required": ["changeIdentifier", "changeType", "notificationFieldsVersion"],
    "properties": {
        "changeIdentifier": {"type": "string"},
        "changeType": {"type": "string"},
        "newState": {"enum": ["inService", "maintenance", "outOfService"]},
        "oldState": {"enum": ["inService", "maintenance", "outOfService"]},
        "notificationFieldsVersion": {"enum": ["2.0"]},
        "additionalFields": {"type": "object"},
    },
}
FAULT = {
    "type": "object",
    "required": [
        "alarmCondition",
        "eventSeverity",
        "eventSourceType",
        "faultFieldsVersion",
        "specificProblem",
        "vfStatus",
    ],
    "properties": {
        "eventSeverity": {"enum": ["CRITICAL", "MAJOR", "MINOR", "WARNING", "NORMAL"]},
        "faultFieldsVersion": {"enum": ["4.0"]},
        "vfStatus": {
            "enum": ["Active", "Idle", "Preparing to terminate", "Ready to terminate", "Requesting termination"]
        },
    },
}
VES_EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["event"],
    "properties": {
        "event": {
            "type": "object",
            "required": ["commonEventHeader"],
            "properties": {"commonEventHeader": HEADER, "notificationFields": NOTIFICATION, "faultFields": FAULT},
        }
    },
}

"""The VES 7.x event structure the ONAP plugin's events are checked against: the common event header and the
`notification` and `fault` domain blocks as VES 7.2.1 defines them (the VES collector's
etc/CommonEventFormat_30.2.1_ONAP.json; the plugin README says which commit): their properties, the required ones,
types and enumerations, and no other property (the published schema's `additionalProperties: false`)."""

from __future__ import annotations

from typing import Any

STRING = {"type": "string"}
HASH_MAP = {"type": "object", "additionalProperties": STRING}  # the schema's `hashMap`: string values only
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
            "type": "string",
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
                "stndDefined",
                "syslog",
                "thresholdCrossingAlert",
                "voiceQuality",
            ],
        },
        "eventId": STRING,
        "eventName": STRING,
        "eventType": STRING,
        "internalHeaderFields": {"type": "object"},
        "lastEpochMicrosec": {"type": "number"},
        "nfcNamingCode": STRING,
        "nfNamingCode": STRING,
        "nfVendorName": STRING,
        "priority": {"type": "string", "enum": ["High", "Medium", "Normal", "Low"]},
        "reportingEntityId": STRING,
        "reportingEntityName": STRING,
        "sequence": {"type": "integer"},
        "sourceId": STRING,
        "sourceName": STRING,
        "startEpochMicrosec": {"type": "number"},
        "stndDefinedNamespace": STRING,
        "timeZoneOffset": STRING,
        "version": {"type": "string", "enum": ["4.0", "4.0.1", "4.1"]},
        "vesEventListenerVersion": {"type": "string", "enum": ["7.0", "7.0.1", "7.1", "7.1.1", "7.2", "7.2.1"]},
    },
    "additionalProperties": False,
}
NOTIFICATION = {
    "type": "object",
    "required": ["changeIdentifier", "changeType", "notificationFieldsVersion"],
    "properties": {
        "additionalFields": HASH_MAP,
        "arrayOfNamedHashMap": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "hashMap"],
                "properties": {"name": STRING, "hashMap": HASH_MAP},
                "additionalProperties": False,
            },
        },
        "changeContact": STRING,
        "changeIdentifier": STRING,
        "changeType": STRING,
        "newState": STRING,
        "oldState": STRING,
        "notificationFieldsVersion": {"type": "string", "enum": ["2.0"]},
        "stateInterface": STRING,
    },
    "additionalProperties": False,
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
        "alarmAdditionalInformation": HASH_MAP,
        "alarmCondition": STRING,
        "alarmInterfaceA": STRING,
        "eventCategory": STRING,
        "eventSeverity": {"type": "string", "enum": ["CRITICAL", "MAJOR", "MINOR", "WARNING", "NORMAL"]},
        "eventSourceType": STRING,
        "faultFieldsVersion": {"type": "string", "enum": ["4.0"]},
        "specificProblem": STRING,
        "vfStatus": {
            "type": "string",
            "enum": ["Active", "Idle", "Preparing to terminate", "Ready to terminate", "Requesting termination"],
        },
    },
    "additionalProperties": False,
}
# The event's other domain blocks (measurementFields, ...) are not transcribed: netweave sends none.
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

"""Parses the Prometheus text format on stdin with the reference Python client's parser
(prometheus_client.parser, from the Prometheus project) and prints one JSON object per sample:
{"family", "type", "name", "labels", "value"}. A text the parser refuses exits non-zero."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        print(json.dumps({"family": family.name, "type": family.type, "name": sample.name,
                          "labels": sample.labels, "value": sample.value}))

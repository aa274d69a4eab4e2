# Builds conf/grafana/sluice.json from conf/grafana/panels.json: python3 conf/grafana/generate.py conf/grafana/panels.json conf/grafana/sluice.json
import json, sys
panels = []
y = 0
def row(title):
    global y
    panels.append({"type": "row", "title": title, "collapsed": False, "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "id": len(panels) + 1, "panels": []})
    y += 1
x = 0
def panel(title, exprs, unit="short", w=8, kind="timeseries", legend=None):
    global x, y
    if x + w > 24:
        x = 0; y += 8
    targets = []
    for i, e in enumerate(exprs):
        expr, leg = e if isinstance(e, tuple) else (e, "")
        targets.append({"expr": expr, "legendFormat": leg, "refId": chr(65 + i), "datasource": {"type": "prometheus", "uid": "${datasource}"}})
    panels.append({"type": kind, "title": title, "id": len(panels) + 1, "datasource": {"type": "prometheus", "uid": "${datasource}"},
                   "gridPos": {"h": 8, "w": w, "x": x, "y": y}, "targets": targets,
                   "fieldConfig": {"defaults": {"unit": unit}, "overrides": []}, "options": {}})
    x += w
def newrow(title):
    global x, y
    if x: y += 8; x = 0
    row(title)
S = '{instance=~"$instance"}'
def sel(extra=""):
    return '{instance=~"$instance"' + ("," + extra if extra else "") + '}'
SECTIONS = json.load(open(sys.argv[1]))
for sec in SECTIONS:
    newrow(sec["row"])
    for p in sec["panels"]:
        panel(p["title"], [tuple(e) if isinstance(e, list) else e for e in p["exprs"]], p.get("unit", "short"), p.get("w", 8), p.get("kind", "timeseries"))
dash = {
  "title": "Sluice", "uid": "sluice-overview", "schemaVersion": 39, "version": 1, "editable": True,
  "tags": ["sluice", "api-gateway"], "time": {"from": "now-1h", "to": "now"}, "refresh": "10s",
  "templating": {"list": [
    {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source"},
    {"name": "instance", "type": "query", "label": "Node", "multi": True, "includeAll": True, "allValue": ".*",
     "datasource": {"type": "prometheus", "uid": "${datasource}"},
     "query": {"query": "label_values(sluice_build_info, instance)", "refId": "instance"}, "refresh": 2},
  ]},
  "annotations": {"list": [
    {"name": "Restarts", "datasource": {"type": "prometheus", "uid": "${datasource}"}, "enable": True, "iconColor": "orange",
     "expr": "changes(process_start_time_seconds{instance=~\"$instance\"}[2m]) > 0", "titleFormat": "node restarted"}]},
  "panels": panels,
}
json.dump(dash, open(sys.argv[2], "w"), indent=2)
print(len(panels), "panels")

package kotaemon

import "kotaemon-k8s/ociimage"

// Script is the script Kotaemon's image runs (`python app.py` in /app).
const Script = "app.py"

// Image is the stand-in packaged as an image, root like the real one, with /app as its
// working directory and the binary where the chart's default command finds Kotaemon's
// Python interpreter, so the chart's default values run it as they run Kotaemon. Its
// name says what it is wherever it shows (pods, the demo).
var Image = ociimage.Program{
	Package: "kotaemon-k8s/cmd/kotaemon-standin", Ref: "kotaemon-k8s/kotaemon-standin:test",
	Path: "/app/.venv/bin/python", Dirs: []string{"/app"}, User: "0:0",
}

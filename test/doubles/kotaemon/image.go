package kotaemon

import "kotaemon-k8s/ociimage"

// Image is the stand-in packaged as an image, root like the real one, with /app as its
// working directory. Its name says what it is wherever it shows (pods, the demo).
var Image = ociimage.Program{
	Package: "kotaemon-k8s/cmd/kotaemon-standin", Ref: "kotaemon-k8s/kotaemon-standin:test",
	Path: "/kotaemon-standin", Dirs: []string{"/app"}, User: "0:0",
}

package dependency

import "kotaemon-k8s/ociimage"

// Image is the stand-in packaged as an image.
var Image = ociimage.Program{
	Package: "kotaemon-k8s/cmd/dependency-standin", Ref: "kotaemon-k8s/dependency-standin:test",
	Path: "/dependency-standin",
}

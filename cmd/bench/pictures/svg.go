package main

// Drawing a picture as SVG: time on the x axis, a group of lanes per Kotaemon pod, fault
// periods shaded behind them, the configured windows as labelled bars below.

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

const (
	width      = 1100.0
	labelWidth = 150.0
	rightPad   = 20.0
	laneHeight = 20.0
	laneGap    = 6.0
	topPad     = 58.0
	actionRow  = 13.0
	font       = `font-family="DejaVu Sans, Arial, sans-serif"`
)

var colours = map[state]string{stateOK: "#2e9e5b", stateBad: "#d64541", stateWarn: "#e0a100", stateOff: "#c8c8c8"}

func fmtSeconds(s float64) string {
	if s >= 120 && math.Mod(s, 60) == 0 {
		return fmt.Sprintf("%.0f min", s/60)
	}
	return fmt.Sprintf("%.0f s", s)
}

func (p picture) svg(w io.Writer) error {
	plot := width - labelWidth - rightPad
	x := func(s float64) float64 { return labelWidth + math.Max(0, math.Min(s, p.end))/p.end*plot }
	lanes := 0
	for _, pl := range p.pods {
		lanes += len(pl.lanes)
	}
	groupsHeight := float64(lanes)*(laneHeight+laneGap) + float64(len(p.pods))*18
	actionsTop := topPad + groupsHeight + 8
	windowsTop := actionsTop + 2*actionRow + 22
	height := windowsTop + float64(len(p.windows))*(laneHeight+laneGap) + 50

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="10" y="22" font-size="16" font-weight="bold" %s>%s</text>`+"\n", font, html.EscapeString(p.title))
	legend := []struct {
		s    state
		text string
	}{{stateOK, "yes / passing"}, {stateBad, "failing / hung"}, {stateWarn, "startup probe failing / workers stalled / kill"}, {stateOff, "no"}}
	lx := labelWidth
	for _, l := range legend {
		fmt.Fprintf(&b, `<rect x="%.0f" y="32" width="12" height="12" fill="%s"/><text x="%.0f" y="42" font-size="11" %s>%s</text>`+"\n", lx, colours[l.s], lx+16, font, l.text)
		lx += 60 + 6*float64(len(l.text))
	}

	// Fault periods behind everything.
	bottom := windowsTop - 6
	for _, f := range p.faults {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.0f" width="%.1f" height="%.0f" fill="#d64541" fill-opacity="0.10"/>`+"\n", x(f.from), topPad-6, x(f.to)-x(f.from), bottom-topPad+6)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="11" fill="#a0302c" %s>%s</text>`+"\n", x(f.from)+3, topPad+4, font, html.EscapeString(f.label))
	}

	y := topPad + 8
	for _, pl := range p.pods {
		fmt.Fprintf(&b, `<text x="10" y="%.0f" font-size="11" fill="#555" %s>pod %s</text>`+"\n", y+8, font, html.EscapeString(pl.pod))
		y += 14
		for _, l := range pl.lanes {
			fmt.Fprintf(&b, `<text x="10" y="%.0f" font-size="12" %s>%s</text>`+"\n", y+laneHeight-6, font, html.EscapeString(l.name))
			fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="#f4f4f4"/>`+"\n", labelWidth, y, plot, laneHeight)
			if len(l.segments) == 0 && len(l.marks) == 0 && l.name == laneAnswering && !p.answersRecorded {
				fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="10" fill="#888" %s>not recorded by this scenario</text>`+"\n", labelWidth+4, y+laneHeight-6, font)
			}
			for _, s := range l.segments {
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.0f" width="%.1f" height="%.0f" fill="%s"/>`+"\n", x(s.from), y+3, math.Max(1, x(s.to)-x(s.from)), laneHeight-6, colours[s.state])
			}
			for _, m := range l.marks {
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.0f" width="2.5" height="%.0f" fill="%s"/>`+"\n", x(m.at)-1, y, laneHeight, colours[m.state])
				if m.label != "" {
					fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="10" %s>%s</text>`+"\n", x(m.at)+3, y+laneHeight-6, font, html.EscapeString(m.label))
				}
			}
			y += laneHeight + laneGap
		}
		y += 4
	}

	// What the test did, labelled on two staggered rows so neighbours do not collide.
	fmt.Fprintf(&b, `<text x="10" y="%.0f" font-size="11" fill="#555" %s>test actions</text>`+"\n", actionsTop+actionRow, font)
	for i, m := range p.marks {
		ty := actionsTop + actionRow*float64(1+i%2)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="10" fill="#333" %s%s>%s</text>`+"\n", x(m.at)+2, ty, font, anchor(x(m.at)), html.EscapeString(m.label))
	}

	// The configured windows, each anchored where it starts counting.
	if len(p.windows) > 0 {
		fmt.Fprintf(&b, `<text x="10" y="%.0f" font-size="11" fill="#555" %s>configured windows</text>`+"\n", windowsTop+laneHeight-8, font)
	}
	wy := windowsTop
	for _, wb := range p.windows {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.0f" width="%.1f" height="%.0f" fill="#3b6fb6" fill-opacity="0.25" stroke="#3b6fb6"/>`+"\n", x(wb.from), wy, math.Max(1, x(wb.to)-x(wb.from)), laneHeight-4)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="11" %s>%s</text>`+"\n", x(wb.from)+4, wy+laneHeight-8, font, html.EscapeString(wb.label))
		wy += laneHeight + laneGap
	}

	// The time axis, with the test's actions as ticks.
	axis := height - 30
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#333"/>`+"\n", labelWidth, axis, labelWidth+plot, axis)
	step := tickStep(p.end)
	for s := 0.0; s <= p.end; s += step {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#333"/><text x="%.1f" y="%.0f" font-size="10" text-anchor="middle" %s>%.0f</text>`+"\n",
			x(s), axis, x(s), axis+4, x(s), axis+15, font, s)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="11" text-anchor="end" %s>seconds since the scenario started</text>`+"\n", labelWidth+plot, axis+28, font)
	for _, m := range p.marks {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#555" stroke-dasharray="2,2"/>`+"\n", x(m.at), topPad-6, x(m.at), actionsTop+2*actionRow)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// anchor ends a label at its mark when the mark is near the right edge, so it stays inside.
func anchor(x float64) string {
	if x > width-rightPad-120 {
		return ` text-anchor="end"`
	}
	return ""
}

// tickStep picks an axis step giving about 10 ticks.
func tickStep(end float64) float64 {
	for _, s := range []float64{5, 10, 20, 30, 60, 120, 300} {
		if end/s <= 12 {
			return s
		}
	}
	return 600
}

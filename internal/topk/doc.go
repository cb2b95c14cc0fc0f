// Package topk owns a bounded top-K counter of string ids (Space-Saving):
// the busiest ids of an unbounded stream in a fixed amount of memory.
//
// It is pure logic on the standard library and must not import anything
// of nexusmon (instrumentation, agent, report or the exporters).
package topk

// Package sdkadapter feeds the report engine from the OpenTelemetry metric
// SDK: FromMetricData adapts metricdata.ResourceMetrics to a
// report.Snapshot, and NewExporter is the sdkmetric.Exporter of one report
// reader, handing each collection to the Reporter.
package sdkadapter

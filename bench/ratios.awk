# ratios.awk: reads the markdown table bench/peers.sh prints and appends
# nexusmon's ratio to each peer: CPU ms per collection (schedstat) and peak
# RSS (main process). A ratio below 1 means nexusmon spends less.
BEGIN { FS = "|" }
{ print }
/^\| / && $2 !~ /peer/ && $2 !~ /---/ {
    name = $2; gsub(/^ +| +$/, "", name)
    cpu[name] = $6 + 0; rss[name] = $9 + 0; order[++n] = name
}
END {
    if (!("nexusmon" in cpu)) { print "\n(no nexusmon row: build bin/nexusmon or set NEXUSMON_BIN)"; exit }
    print ""
    print "| nexusmon vs | CPU ms/collection (peer) | nexusmon ÷ peer | peak RSS MiB (peer) | nexusmon ÷ peer |"
    print "|---|---:|---:|---:|---:|"
    for (i = 1; i <= n; i++) {
        p = order[i]
        if (p == "nexusmon") continue
        printf "| %s | %.3f | %s | %.1f | %s |\n", p, cpu[p], (cpu[p] > 0 ? sprintf("%.2f", cpu["nexusmon"] / cpu[p]) : "-"),
            rss[p], (rss[p] > 0 ? sprintf("%.2f", rss["nexusmon"] / rss[p]) : "-")
    }
    printf "\nnexusmon: %.3f ms of CPU per system report (budget 1.0), peak RSS %.1f MiB\n", cpu["nexusmon"], rss["nexusmon"]
}

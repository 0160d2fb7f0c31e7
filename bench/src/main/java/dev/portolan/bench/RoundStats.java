package dev.portolan.bench;

/**
 * The mean of per-round ratios with a 95% confidence interval (Student's t): each round compares
 * two paths run back to back, so the machine's drift between rounds cancels out of the ratio, and
 * the interval says whether "at parity" or "ahead" is what the rounds actually show.
 */
record RoundStats(int n, double mean, double sd, double halfWidth) {
  // Two-sided 95% t quantiles for 1..30 degrees of freedom; 1.96 beyond.
  private static final double[] T95 = {
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042
  };

  static RoundStats of(double[] ratios) {
    int n = ratios.length;
    double mean = 0;
    for (double r : ratios) {
      mean += r;
    }
    mean /= n;
    if (n < 2) {
      return new RoundStats(n, mean, Double.NaN, Double.NaN);
    }
    double ss = 0;
    for (double r : ratios) {
      ss += (r - mean) * (r - mean);
    }
    double sd = Math.sqrt(ss / (n - 1));
    double t = n - 1 <= T95.length ? T95[n - 2] : 1.96;
    return new RoundStats(n, mean, sd, t * sd / Math.sqrt(n));
  }

  @Override
  public String toString() {
    if (n < 2) {
      return String.format("%.3f× (one round: no interval)", mean);
    }
    return String.format(
        "mean %.3f×, sd %.3f, 95%% interval %.3f–%.3f× (%d rounds)",
        mean, sd, mean - halfWidth, mean + halfWidth, n);
  }
}

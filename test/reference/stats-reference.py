"""Reference values for test/stats.test.ts (the tests hold the printed constants; they do not run Python).

Two independent references:
- mpmath at 40 significant digits: the noncentral t CDF by direct numerical integration over the chi-square
  variable, F(t; ν, δ) = ∫ Φ(t·√(u/ν) − δ) f_χ²ν(u) du, the t quantile by root finding on the incomplete beta
  function; power, detectable d_z and seeds needed from those.
- scipy (scipy.special.ndtr, scipy.stats.nct / t; Boost's noncentral t since scipy 1.10), and, when installed,
  statsmodels' TTestPower and multipletests(method="holm").

Run: python3 test/reference/stats-reference.py
"""
import math
import mpmath as mp
import scipy
from scipy import special, stats

mp.mp.dps = 40
print("# scipy", scipy.__version__, "mpmath", mp.__version__)


def nct_cdf_mp(t, df, nc):
    t, df, nc = mp.mpf(t), mp.mpf(df), mp.mpf(nc)
    logc = -(df / 2) * mp.log(2) - mp.loggamma(df / 2)

    def f(u):
        if u == 0:
            return mp.mpf(0)
        return mp.ncdf(t * mp.sqrt(u / df) - nc) * mp.exp(logc + (df / 2 - 1) * mp.log(u) - u / 2)

    w = 20 * mp.sqrt(2 * df)
    step = [df * (nc / t) ** 2] if t != 0 and nc / t > 0 else []  # where the normal CDF steps from 0 to 1
    pts = sorted(set([mp.mpf(0), max(mp.mpf(0), df - w), df, df + w, *step, mp.inf]))
    return mp.quad(f, pts)


def t_cdf_mp(t, df):
    t, df = mp.mpf(t), mp.mpf(df)
    tail = mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2
    return 1 - tail if t >= 0 else tail


def t_ppf_mp(p, df):
    return mp.findroot(lambda x: t_cdf_mp(x, df) - p, stats.t.ppf(float(p), df))


def power_mp(n, dz, alpha, sides=2):
    df = n - 1
    c = t_ppf_mp(1 - mp.mpf(alpha) / sides, df)
    delta = mp.mpf(dz) * mp.sqrt(n)
    p = 1 - nct_cdf_mp(c, df, delta)
    if sides == 2:
        p += nct_cdf_mp(-c, df, delta)
    return p


def power_scipy(n, dz, alpha=0.05, sides=2):
    df = n - 1
    c = stats.t.ppf(1 - alpha / sides, df)
    delta = dz * math.sqrt(n)
    p = stats.nct.sf(c, df, delta)
    if sides == 2:
        p += stats.nct.cdf(-c, df, delta)
    return float(p)


def show(x):
    return repr(float(x))


print("## normal CDF: [z, mpmath ncdf, scipy ndtr]")
for z in [-8.0, -5.0, -3.0, -0.5, 0.0, 0.3, 1.5, 2.5, 4.0, 6.0]:
    print(f"[{z!r}, {show(mp.ncdf(z))}, {show(special.ndtr(z))}],")

print("## noncentral t CDF: [t, df, nc, mpmath, scipy nct.cdf]")
NCT = [
    (2.0, 4, 1.0), (-1.5, 2, 0.5), (0.5, 3, 2.0), (1.0, 10, -2.0), (3.0, 29, 3.0), (4.302652729749462, 2, 6.0),
    (12.706204736174694, 1, 16.0), (2.5, 100, 2.8), (0.5, 3, 10.0), (8.0, 5, 30.0), (-2.0, 7, 1.5), (60.0, 1, 60.0),
    (1.96, 1000, 2.8),
    # |δ| > 40: integrated, not summed (paired differences equal up to rounding give d_z ~ 1e14)
    (60.0, 2, 30.0), (60.0, 1, 45.0), (12.7, 1, 100.0), (127.0, 1, 1000.0), (30.0, 5, 45.0), (60.0, 29, 50.0),
    (-3.0, 4, -80.0), (45.0, 3, 1e6),
]
for t, df, nc in NCT:
    print(f"[{t!r}, {df!r}, {nc!r}, {show(nct_cdf_mp(t, df, nc))}, {show(stats.nct.cdf(t, df, nc))}],")

print("## paired t power: [n, dz, alpha, sides, mpmath, scipy]")
POWER = [(3, 1.0, 0.05, 2), (3, 3.0, 0.05, 2), (5, 0.8, 0.05, 2), (10, 0.5, 0.05, 2), (2, 10.0, 0.05, 2),
         (6, 1.2, 0.0125, 2), (20, 0.3, 0.05, 1), (4, -0.5, 0.05, 2)]
for n, dz, a, s in POWER:
    print(f"[{n}, {dz!r}, {a!r}, {s}, {show(power_mp(n, dz, a, s))}, {show(power_scipy(n, dz, a, s))}],")

print("## detectable d_z at 80% power (MDD = dz* x sd): [n, alpha, sides, mpmath dz*]")
for n, a, s in [(2, 0.05, 2), (3, 0.05, 2), (3, 0.0125, 2), (5, 0.05, 2), (10, 0.05, 2), (30, 0.05, 2), (6, 0.05, 1)]:
    guess = (stats.t.ppf(1 - a / s, n - 1) + 1) / math.sqrt(n)
    dz = mp.findroot(lambda d: power_mp(n, d, a, s) - mp.mpf('0.8'), guess)
    print(f"[{n}, {a!r}, {s}, {show(dz)}],")

print("## seeds needed for 80% power: [dz, alpha, sides, n]  (mpmath power at n-1 and n)")
for dz, a, s in [(2.0, 0.05, 2), (1.0, 0.05, 2), (0.5, 0.05, 2), (0.2, 0.05, 2), (1.0, 0.0125, 2), (0.5, 0.05, 1)]:
    n = max(2, int(((stats.norm.ppf(1 - a / s) + stats.norm.ppf(0.8)) / dz) ** 2) - 2)
    while power_scipy(n, dz, a, s) >= 0.8 and n > 2:
        n -= 1
    while power_mp(n, dz, a, s) < 0.8:
        n += 1
    print(f"[{dz!r}, {a!r}, {s}, {n}],  # {show(power_mp(n - 1, dz, a, s))} {show(power_mp(n, dz, a, s))}")

try:
    from statsmodels.stats.power import TTestPower
    from statsmodels.stats.multitest import multipletests
    print("## statsmodels TTestPower, two-sided: [n, dz, alpha, power]")
    for n, dz, a, s in POWER:
        if s == 2:
            print(f"[{n}, {dz!r}, {a!r}, {TTestPower().power(effect_size=abs(dz), nobs=n, alpha=a, alternative='two-sided')!r}],")
    print("## Holm: statsmodels multipletests(method='holm')")
    for ps in [[0.01, 0.04, 0.03, 0.005], [0.013, 0.022, 0.113, 0.5], [0.2, 0.2, 0.01], [0.04, 0.6, 0.001, 0.02, 0.03]]:
        print(ps, [float(x) for x in multipletests(ps, method='holm')[1]])
except ImportError:
    print("(statsmodels not installed: no cross-check)")

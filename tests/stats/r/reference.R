# Reference numbers were produced with R 4.2.2, ordinal 2022.11.16, MASS 7.3.58.2, lme4 1.1.31, geepack 1.3.9
# (Debian bookworm packages: apt-get install r-base-core r-cran-ordinal r-cran-lme4 r-cran-mass r-cran-geepack).
# Reference numbers for tests/stats/test_models.py, computed from models_data.csv.
# Run from the repository root:  Rscript tests/stats/r/reference.R
# Needs: ordinal, MASS, geepack, lme4 (Debian: r-cran-ordinal r-cran-mass r-cran-geepack r-cran-lme4).
# Output: one "key value" line each, values with 10 significant digits; the optional test
# (test_models.py::test_against_live_r) parses this and compares with the Python fits.
suppressPackageStartupMessages({
  library(ordinal); library(MASS); library(geepack); library(lme4)
})
args <- commandArgs(trailingOnly = TRUE)
path <- if (length(args)) args[1] else "tests/stats/r/models_data.csv"
d <- read.csv(path)
d$group <- factor(d$group)
d$y_ordf <- factor(d$y_ord, ordered = TRUE)
out <- function(key, x) cat(sprintf("%s %s\n", paste0(key, names(x)), formatC(unname(x), digits = 10, format = "g")), sep = "")
se <- function(fit) sqrt(diag(vcov(fit)))

# ordinal::clm -- eta = theta_j - x'beta (same sign convention as statsmodels OrderedModel)
for (lk in c("logit", "probit")) {
  m <- clm(y_ordf ~ x1 + ja, data = d, link = lk)
  out(paste0("clm_", lk, "_coef_"), coef(m))
  out(paste0("clm_", lk, "_se_"), se(m))
  out(paste0("clm_", lk, "_"), c(llf = as.numeric(logLik(m))))
}
# MASS::polr -- same model (zeta = thresholds); its SEs come from optim's numerical Hessian
m <- polr(y_ordf ~ x1 + ja, data = d, method = "logistic", Hess = TRUE)
out("polr_coef_", c(coef(m), m$zeta))
out("polr_se_", se(m))
out("polr_", c(llf = as.numeric(logLik(m))))

# geepack::geeglm, exchangeable working correlation, robust (sandwich) SEs
for (fam in c("binomial", "poisson")) {
  f <- if (fam == "binomial") y_bin ~ x1 + ja else y_count ~ x1 + ja + offset(log(n_tokens))
  m <- geeglm(f, family = fam, id = group, data = d, corstr = "exchangeable")
  s <- summary(m)
  out(paste0("gee_", fam, "_coef_"), coef(m))
  out(paste0("gee_", fam, "_se_"), setNames(s$coefficients[, "Std.err"], names(coef(m))))
  out(paste0("gee_", fam, "_"), c(alpha = unname(m$geese$alpha), scale = unname(m$geese$gamma)))
}

# glm with log(n) offset; MASS::glm.nb (theta = 1 / alpha)
m <- glm(y_count ~ x1 + ja, family = poisson, offset = log(n_tokens), data = d)
out("pois_coef_", coef(m)); out("pois_se_", se(m)); out("pois_", c(llf = as.numeric(logLik(m))))
m <- glm.nb(y_count ~ x1 + ja + offset(log(n_tokens)), data = d)
out("nb_coef_", coef(m)); out("nb_se_", se(m))
out("nb_", c(llf = as.numeric(logLik(m)), theta = m$theta))

# lme4::lmer, REML
m <- lmer(y_cont ~ x1 + ja + (1 | group), data = d, REML = TRUE)
vc <- as.data.frame(VarCorr(m))
out("lmer_coef_", fixef(m)); out("lmer_se_", se(m))
out("lmer_", c(var_group = vc$vcov[1], var_resid = vc$vcov[2], llf = as.numeric(logLik(m))))

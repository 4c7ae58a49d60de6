"""Every word the studio shows, in English and Simplified Chinese: the one place to add strings.

How a string reaches the visitor:

- Static text (labels, tab names, buttons, Markdown): `t("key")`, a gr.I18n key that the
  browser translates into its own language (Gradio picks the language; `LAUNCH_I18N` goes to
  `launch(i18n=...)`). Gradio replaces at most one key per string, so a text is one key.
- Static text built from values (a model's facts table, "dcgan: training curves"):
  `localized(lambda lang: ...)` renders it once per language and registers the results
  under a key of their own.
- Text made while answering a request (gr.Warning / gr.Error messages, Compare captions):
  Gradio's frontend does not translate these, so they are written in the request's
  language on the server: `text("key", language(request), value=...)`.

To add strings, add the same key to both dicts below (a test checks they match).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import gradio as gr

from ..faces import REASONS

# The objectives as formulas: one copy, shown in every language.
DCGAN_LOSS = r"""$$L_D = -\mathbb{E}_x\left[\log \sigma(D(x))\right] - \mathbb{E}_z\left[\log\left(1 - \sigma(D(G(z)))\right)\right]
\qquad L_G = -\mathbb{E}_z\left[\log \sigma(D(G(z)))\right]$$"""
WGAN_LOSS = r"""$$L_D = \mathbb{E}_z\left[D(G(z))\right] - \mathbb{E}_x\left[D(x)\right] \qquad L_G = -\mathbb{E}_z\left[D(G(z))\right]
\qquad w \leftarrow \operatorname{clip}(w, -c, c),\ c = 0.01$$"""
WGAN_GP_LOSS = r"""$$L_D = \mathbb{E}_z\left[D(G(z))\right] - \mathbb{E}_x\left[D(x)\right]
+ \lambda\, \mathbb{E}_{\hat x}\left[\left(\lVert \nabla_{\hat x} D(\hat x) \rVert_2 - 1\right)^2\right],
\quad \hat x = \epsilon x + (1 - \epsilon)\, G(z),\ \epsilon \sim U[0, 1],\ \lambda = 10$$"""

EN: dict[str, str] = {
    # page
    "intro": "# FaceGAN studio\nDCGAN, WGAN and WGAN-GP face generators, side by side. Same seed, same faces.",
    "no_models": "## No generator found\nPut exported `*.safetensors` generators in `checkpoints/` (train one with "
                 "`python train.py --mode dcgan --data DIR`), point the app at another folder with `--checkpoints DIR` / "
                 "`FACEGAN_CHECKPOINTS`, or name a Hub model repo in `FACEGAN_HUB_REPO`.",
    "notice.no_folder": "⚠️ Checkpoint folder not found: {path}",
    "notice.hub": "⚠️ {error}; serving the local checkpoints only.",
    "notice.problem": "⚠️ {problem}",
    "problem.encoder": "{error}. The Your photo tab projects into {name} without it, starting from the best of a "
                       "few random latents (a worse start).",
    "problem.directions": "{error}. {name} cannot be edited until its directions are refitted.",
    "problem.record": "{error}. The About tab shows no training curves for {name}.",
    # tabs
    "tab.samples": "Samples",
    "tab.interpolation": "Interpolation",
    "tab.compare": "Compare",
    "tab.edit": "Edit",
    "tab.about": "About the models",
    # Samples
    "model": "Model",
    "seed": "Seed",
    "random_seed": "🎲 Random seed",
    "faces": "Faces",
    "truncation": "Truncation (scale of z)",
    "samples": "Samples",
    "native": "Native pixels, to download",
    "native_grid": "Native grid",
    # Interpolation
    "seed_a": "Seed A",
    "seed_b": "Seed B",
    "path": "Path",
    "t": "t (A → B)",
    "face_at_t": "Face at t",
    "frames": "Frames in the strip",
    "strip": "A → B",
    "gif": "Animated GIF of the walk (native resolution)",
    # Compare
    "faces_per_model": "Faces per model",
    "same_latents": "Same latents, every model",
    "caption": "{name}: {facts}",
    "caption.steps": "{steps:,} steps",
    "caption.images": "{millions:.1f}M images",
    "caption.fid": "FID {fid:.1f}, KID {kid:.3f}",
    "caption.prdc": "precision {precision:.2f}, recall {recall:.2f}, density {density:.2f}, coverage {coverage:.2f}",
    # Edit
    "age": "Age (≈ years)",
    "age_info": "Where the fitted line puts the face; drag to make it older or younger",
    "gender": "Gender (← male · female →)",
    "gender_info": "Steps along the gender direction, in units of z's spread; 0 is the face as generated",
    "conditional": "Keep the other attribute fixed",
    "conditional_info": "Move along each direction with the other projected out (InterFaceGAN's conditional edit)",
    "walk_along": "Walk shown below",
    "along.age": "Age",
    "along.gender": "Gender",
    "edited": "Edited face",
    "edit_walk": "The walk, −3 to +3 steps",
    "edit.honesty": "**What the sliders mean.** Age and gender are UTKFace's own annotations: age in years, and "
                    "gender as a binary label (male / female) as annotated; the race label is not used. A small CNN "
                    "trained on those labels scored each model's generated faces, and a linear model over z gave each "
                    "direction (InterFaceGAN, Shen et al. 2020). The sliders move what that predictor sees, errors "
                    "included, and can carry along whatever goes with age or gender in the photos (hair, glasses, light).",
    "edit.reading": "Fitted line: **≈ {years:.0f} years** · fitted classifier: P(female) **{female:.2f}**",
    "edit.errors": "The predictor behind these numbers, on held-out UTKFace faces: age off by {mae:.1f} years on "
                   "average (by age band: {bands}); gender as annotated, {accuracy:.1%} right.",
    # About
    "about.curves": "{name}: training curves",
    "about.progress": "{name}: fixed noise along the run (generator step)",
    "fact.mode": "mode",
    "fact.architecture": "architecture",
    "fact.architecture_value": "nz={nz}, ngf={ngf}, ndf={ndf}, {size}×{size}, critic norm: {norm}",
    "fact.dataset": "trained on",
    "fact.dataset_value": "{dataset} ({size:,} images)",
    "fact.steps": "generator steps",
    "fact.images_seen": "real images seen",
    "fact.batch_size": "batch size",
    "fact.train_time": "training time",
    "fact.train_time_value": "{seconds:.0f} s on {device}",
    "fact.exported": "exported",
    "fact.metrics": "FID / KID",
    "fact.metrics_value": "{fid:.2f} / {kid:.4f} ± {kid_std:.4f} ({num:,} samples vs {reference})",
    "fact.prdc": "precision / recall / density / coverage",
    "fact.prdc_value": "{precision:.3f} / {recall:.3f} / {density:.3f} / {coverage:.3f} ({num:,} samples vs "
                       "{reference_size:,} images of {reference}; k = {k_pr} / {k_dc})",
    "fact.prdc_floor": "; real vs real at the same sizes: "
                       "{precision:.3f} / {recall:.3f} / {density:.3f} / {coverage:.3f}",
    "fact.recipe": "recipe",
    "fact.editing": "editing",
    "fact.editing_value": "on {samples:,} unseen faces, age walk −3→+3: {age_change:+.1f} years, "
                          "P(female) drift {female_drift:.2f}; gender walk: {flipped:.0%} flipped, "
                          "age drift {age_drift:.1f} years",
    "about.objectives": r"""## How the three differ

All three train a generator $G$ that maps noise $z \sim \mathcal{N}(0, I)$ to a face against a critic $D$
that scores images; they differ in what $D$ is asked to do and how it is kept in check
($x$: a real face, $\sigma$: the sigmoid).

**DCGAN**: $D$ is a classifier. Its score becomes a probability through a sigmoid and both
networks minimise binary cross-entropy (the generator's non-saturating form):

""" + DCGAN_LOSS + r"""

**WGAN**: $D$ is a critic with an unbounded score whose gap between real and generated faces
estimates the Wasserstein distance. That needs $D$ to be 1-Lipschitz, enforced crudely by
clipping every weight after each critic step:

""" + WGAN_LOSS + r"""

**WGAN-GP**: the same critic and generator losses, with the Lipschitz constraint as a gradient
penalty on random mixes of real and generated faces instead of clipping:

""" + WGAN_GP_LOSS + r"""
""",
    # messages (server-side)
    "field.seed": "seed",
    "field.seed_a": "seed A",
    "field.seed_b": "seed B",
    "field.faces": "number of faces",
    "field.frames": "number of frames",
    "field.truncation": "truncation",
    "field.t": "t",
    "field.age": "age",
    "field.age_steps": "age steps",
    "field.gender_steps": "gender steps",
    "msg.empty": "The {field} is empty: enter a number.",
    "msg.not_number": "The {field} must be a number, not {value!r}.",
    "msg.not_finite": "The {field} must be a finite number, not {value!r}.",
    "msg.clamped": "The {field} {value} was changed to {fixed} (allowed: {low}–{high}).",
    "msg.clamped_whole": "The {field} {value} was changed to {fixed} (allowed: {low}–{high}, whole numbers).",
    "msg.unknown_model": "Unknown model {name!r}; loaded: {loaded}.",
    "msg.bad_method": "Interpolation must be 'slerp' or 'lerp', not {method!r}.",
    "msg.no_directions": "{name} has no edit directions yet: run python -m facegan.editing fit on its weights file.",
    # Lab
    # Runs
    "tab.runs": "Runs",
    "runs.intro": "Every training run in `{path}`, read again every {seconds} s while this page is open: curves, "
                  "fixed-noise grids, recipe and scores, as they are written. Read-only: nothing here starts or stops "
                  "training. `tensorboard --logdir {path}` shows the same runs.",
    "runs.run": "Run",
    "runs.curves": "Curves",
    "runs.curves_help": "Against generator steps, named as in metrics.jsonl and TensorBoard: **loss_d** and **loss_g**, "
                        "the discriminator's (critic's) and the generator's losses; **d_real** = D(x) and **d_fake** = "
                        "D(G(z)) (probabilities for DCGAN, critic scores for the WGANs); **wasserstein** = E[D(x)] − "
                        "E[D(G(z))], the critic's estimate; **images_per_s**, the speed; and where measured "
                        "(`--eval-every`) **fid**, **kid**, **precision**, **recall**, **density** and **coverage**. "
                        "Dashed lines: the shipped generators' final values, each labelled with its name (losses and "
                        "speed only from those of the run's mode).",
    "runs.grid": "Fixed noise",
    "runs.timeline": "Grid along the run (drag back to see an earlier one)",
    "runs.grid_note": "{where} · grid {index} of {count}",
    "runs.grid_at": "Step {step:,}",
    "runs.grid_final": "The final grid",
    "runs.no_grids": "No fixed-noise grid yet: the run writes one every `--sample-every` steps.",
    "runs.bad_grid": "⚠️ {file} cannot be read ({error}).",
    "runs.none": "No run in `{path}` yet. `python train.py --mode dcgan --data DIR` writes one to runs/dcgan; "
                 "`--runs DIR` shows another folder.",
    "runs.no_folder": "There is no runs folder at `{path}` yet. `python train.py --mode dcgan --data DIR` writes a run "
                      "to runs/dcgan; `--runs DIR` shows another folder.",
    "runs.not_a_run": "⚠️ `{name}` is not a run in `{path}`: a run is a folder with metrics.jsonl or samples_STEP.png "
                      "grids.",
    "runs.status": "**{name}** · {state} · step {step:,}{total} · {images:,} real images seen · {rate:,.0f} images/s",
    "runs.of_steps": " of {steps:,}",
    "runs.state.training": "🟢 training (last record {age} ago)",
    "runs.state.finished": "✅ finished",
    "runs.state.quiet": "⏸ no record for {age}: stopped, or not yet at its next logging step",
    "runs.no_metrics": "**{name}** · no metrics record yet",
    "runs.damaged": "⚠️ {error}: showing the {count:,} records before it.",
    "runs.cut": "⚠️ metrics.jsonl ends in a line cut off mid-write (the run was stopped while writing it): showing its "
                "{count:,} whole records.",
    "runs.unreadable": "⚠️ {error}",
    "runs.bad_config": "⚠️ {file} cannot be read ({error}): the recipe is unknown.",
    "runs.no_config": "No config.json in this run: its recipe was not recorded.",
    "runs.recipe": "#### Recipe",
    "runs.scores": "#### Latest scores, step {step:,}",
    "runs.no_scores": "No scores measured yet: `--eval-every N` measures FID, KID, precision, recall, density and "
                      "coverage every N steps.",
    "runs.age.s": "{n:.0f} s",
    "runs.age.min": "{n:.0f} min",
    "runs.age.h": "{n:.1f} h",
    "runs.age.d": "{n:.1f} days",
    "tab.lab": "Lab",
    "lab.intro": "## The Lab: why WGAN fixes the original GAN, on 2-D points\nA generator turns 2-D noise into "
                 "points and a discriminator (or critic) scores points; both are small MLPs trained with the face "
                 "models' own losses. Here the tutorial's three failures of the original GAN can be seen and measured "
                 "in seconds: **(a)** a discriminator that gets too good leaves the generator no gradient, **(b)** the "
                 "losses say nothing about sample quality, **(c)** the generator collapses onto a few modes. Press "
                 "**Run**, or step one update at a time.",
    "lab.distribution": "Real data",
    "lab.dist.ring": "8 Gaussians on a ring",
    "lab.dist.grid": "25 Gaussians on a grid",
    "lab.dist.gaussian": "One Gaussian",
    "lab.dist.moons": "Two moons",
    "lab.dist.spiral": "Spiral",
    "lab.dist.swissroll": "Swiss roll",
    "lab.dist.drawn": "My drawing (draw below)",
    "lab.draw": "Draw your own data",
    "lab.sketch": "Pick the brush, draw strokes: the real data becomes your drawing",
    "lab.objective": "Objective",
    "lab.obj.gan-minimax": "GAN, minimax (saturating)",
    "lab.obj.gan": "GAN, non-saturating (the tutorial's)",
    "lab.obj.wgan": "WGAN, weight clipping",
    "lab.obj.wgan-gp": "WGAN-GP, gradient penalty",
    "lab.noise": "Noise z",
    "lab.noise.gaussian": "Gaussian",
    "lab.noise.uniform": "Uniform",
    "lab.knobs": "Hyperparameters",
    "lab.g_width": "G width",
    "lab.g_depth": "G hidden layers",
    "lab.d_width": "D width",
    "lab.d_depth": "D hidden layers",
    "lab.optimizer": "G optimiser",
    "lab.lr_g": "G learning rate",
    "lab.lr_d": "D learning rate",
    "lab.d_steps": "D steps per round",
    "lab.clip": "Clip c (WGAN)",
    "lab.gp_lambda": "Penalty λ (WGAN-GP)",
    "lab.batch": "Batch",
    "lab.steps": "Rounds",
    "lab.speed": "Rounds per picture",
    "lab.delay": "Slow motion (s between pictures)",
    "lab.delay_info": "Use with 1 step per picture to watch single updates",
    "lab.run": "▶ Run",
    "lab.pause": "Pause",
    "lab.d_step": "One D step",
    "lab.g_step": "One G step",
    "lab.reset": "↺ Reset",
    "lab.field": "Real and generated points",
    "lab.curves": "Curves",
    "lab.legend": "**Reading the picture.** Green dots: real points; purple dots: generated ones. Background: what D "
                  "says there (green: real, purple: generated; a probability for the GANs, the critic's score for "
                  "the WGANs). Black arrows: where the generator's loss pushes each generated point (−∇ₓ L_G, longest "
                  "arrow scaled to a fixed length). Grey mesh: a grid of noise values mapped through G. Curves: "
                  "L_D and L_G; the exact W1 distance to the real points beside the critic's estimate "
                  "E[D(x)] − E[D(G(z))]; modes covered and the share of samples within 3σ of a mode (mixtures "
                  "only); ‖∇θ G‖ on a log scale.",
    "lab.numbers": "Step **{round:,}** / {steps:,} ({g_updates:,} G steps, {d_updates:,} D steps) · exact W1 "
                   "**{w1}** · KL(real‖fake) {kl} · JS {js} bits · estimate {estimate:.3f} · L_D {loss_d:.3f} · L_G {loss_g:.3f} · ‖∇θ G‖ {grad:.2g}",
    "lab.accuracy": " · D accuracy {accuracy:.0%}",
    "lab.modes": " · modes covered **{modes}/{total}** · within 3σ **{quality:.0%}**",
    "lab.side_intro": "### Side by side\nThe same data, nets, seed and steps under GAN, WGAN and WGAN-GP, each with "
                      "its own recipe.",
    "lab.side_run": "▶ Run all three",
    "lab.side": "GAN · WGAN · WGAN-GP",
    "lab.table_head": "| objective | step | exact W1 | modes | within 3σ | estimate | ‖∇θ G‖ |",
    "lab.claims_intro": "### The three claims, measured\nEach button runs the experiment on the data, nets, seed and "
                        "steps above (claim a: as many D steps). Claim c trains the GAN and WGAN-GP at the face "
                        "models' recipe, the tutorial's, and at the Lab's fast one, over {seeds} seeds, at most "
                        "{steps:,} steps and {seconds} s. A first result shows within seconds and the rest fills in "
                        "as it comes; `python -m facegan.lab claims` runs all four objectives over 5 seeds.",
    "lab.claim_a": "a · Vanishing gradient",
    "lab.claim_b": "b · Loss vs quality",
    "lab.claim_c": "c · Mode collapse",
    "lab.figure": "Experiment",
    "lab.claim_a_result": "With G held fixed, after {steps:,} D steps (D accuracy {accuracy:.0%}) the minimax "
                          "generator's gradient ‖∇θ G‖ fell from {sat0:.2g} to **{sat:.2g}**, while the "
                          "non-saturating loss still gives **{ns:.2g}** and the WGAN-GP critic **{w:.2g}**.",
    "lab.claim_b_result": "Correlation with the exact W1 over a run: the D loss gives r = **{minimax}** (minimax) and "
                          "**{gan}** (non-saturating); the critic's estimate gives r = **{wgan}** (WGAN) and **{gp}** "
                          "(WGAN-GP), against {gan_estimate} for the same gap under the GAN.",
    "lab.claim_c_result": "Modes covered out of {total} after {steps:,} steps, mean over {seeds} seeds (each seed's "
                          "in brackets).\n\n{face}\n\n{fast}",
    "lab.claim_c_recipe": "At **{recipe}**: GAN **{gan:.1f}** ({gan_seeds}; {gan_q:.0%} of samples within 3σ of a "
                          "mode), WGAN-GP **{gp:.1f}** ({gp_seeds}; {gp_q:.0%}): {verdict}.",
    "lab.recipe.face": "the face models' recipe, the tutorial's (GAN: Adam 2e-4; WGAN-GP: Adam 1e-4, λ 10)",
    "lab.recipe.fast": "the Lab's fast recipe (GAN: Adam 1e-3; WGAN-GP: Adam 1e-3, λ 0.1)",
    "lab.claim_c_fewer": "the GAN dropped more modes, as the tutorial says",
    "lab.claim_c_not_fewer": "the GAN covered no fewer modes than WGAN-GP here",
    "lab.claim_a_progress": "⏳ D step {done:,} of {total:,}, {seconds:.0f} s so far: the figure fills in as D trains.",
    "lab.claim_b_progress": "⏳ {done} of {total} objectives trained, {seconds:.0f} s so far: the figure fills in as "
                            "each one finishes.",
    "lab.claim_c_progress": "⏳ {done} of {total} objective and recipe pairs trained ({seeds} seeds each), "
                            "{seconds:.0f} s so far: the figure fills in as each pair finishes.",
    "lab.about.dcgan": "**In the Lab:** the non-saturating loss this model trains with is claim **a**'s fix for the "
                       "minimax game's vanishing gradient; claim **c** measures whether it drops modes.",
    "lab.about.wgan": "**In the Lab:** claim **b** shows that this model's critic estimate, unlike a GAN's loss, "
                      "follows the samples' distance to the data; weight clipping is the WGAN objective there.",
    "lab.about.wgan-gp": "**In the Lab:** claim **a** shows the gradient this model's critic keeps giving once it is "
                         "trained to optimum; claim **c** its mode coverage.",
    "field.speed": "steps per picture",
    "field.delay": "slow-motion delay",
    "msg.lab_settings": "The Lab cannot run these settings: {error}.",
    "msg.lab_strokes": "The drawing's strokes are not valid JSON (a list of polylines of [x, y] points).",
    "msg.lab_done": "This run has reached its {steps:,} generator steps: press Reset, or change a setting, to start "
                    "again.",
    "msg.lab_empty_drawing": "The drawing is empty: pick the brush and draw at least one stroke first.",
    "msg.lab_diverged": "The run diverged at generator step {step:,} (a loss became infinite or NaN): lower the "
                        "learning rates and press Reset.",
    "msg.lab_claim_time": "The experiment stopped at its {seconds} s limit: its numbers come from shorter runs.",
    "msg.lab_time": "Stopped after {seconds} s at generator step {step:,}: press Run to go on.",
    "msg.lab_claim_steps": "The claim runs {cap:,} generator steps, not {steps:,}, to stay quick.",
    "msg.lab_no_modes": "Claim c counts modes: choose the ring, the grid or the Gaussian.",
    # Lab: GAN Lab's parts (model graph, per-net settings, layers, presets) and the run's memory
    "lab.noise_dim": "Noise dimensions",
    "lab.g_batchnorm": "BatchNorm in G",
    "lab.d_maxout": "D maxout pieces (1: ReLU)",
    "lab.init": "Weight initialisation",
    "lab.pack": "PacGAN packing m",
    "lab.unroll": "Unrolled D steps k",
    "lab.r1_gamma": "R1 weight γ",
    "lab.activation": "Activation of both nets",
    "lab.d_scale": "D divides its input by",
    "lab.init_gain": "Orthogonal initialisation's gain",
    "lab.update": "Update: alternate (D's steps, then G's) or joint (both from one batch)",
    "lab.net_g": "**Generator G**",
    "lab.net_d": "**Discriminator D**",
    "lab.g_steps": "G steps per round",
    "lab.optimizer_d": "D optimiser",
    "lab.beta1": "G Adam β1",
    "lab.beta2": "G Adam β2",
    "lab.beta1_d": "D Adam β1",
    "lab.beta2_d": "D Adam β2",
    "lab.layers": "Show",
    "lab.layer.real": "real points",
    "lab.layer.fake": "generated points",
    "lab.layer.heat": "D's heat map",
    "lab.layer.arrows": "gradient arrows",
    "lab.layer.manifold": "G's manifold",
    "lab.timeline": "Timeline: go back in the run",
    "lab.timeline_info": "Drag to see an earlier moment (the run pauses). ▶ Run and the step buttons always continue "
                         "from the latest state, not from the moment shown.",
    "lab.timeline_past": "*Shown: step {step:,}. ▶ Run continues from the latest state (step {latest:,}), not from "
                         "here.*",
    "lab.graph": "Model graph",
    "lab.sub.none": "One round: D looks at real points, then at generated ones, and is updated; then G generates "
                    "and is updated through D. Slow motion and the step buttons light up each part.",
    "lab.sub.d_real": "D scores a batch of real points x: it should say “real”.",
    "lab.sub.d_fake": "G turns fresh noise z into points G(z), and D scores them: it should say “generated”.",
    "lab.sub.d_update": "D's optimiser takes a step down L_D (then clipping or the penalty keep D smooth).",
    "lab.sub.g_forward": "G turns noise into points and D scores them: L_G measures how well G fools D.",
    "lab.sub.g_update": "G's optimiser takes a step down L_G, with gradients flowing back through D; D stays as it is.",
    "lab.save": "💾 Save run",
    "lab.animate": "🎞 Animation (GIF)",
    "lab.saved": "Saved run (.safetensors)",
    "lab.load": "Load a saved run",
    "lab.gif": "Animation of the run so far",
    "lab.presets": "**Open a trained run:**",
    "lab.preset.gan-ring-collapsed": "GAN collapsed on the ring",
    "lab.preset.wgan-gp-grid": "WGAN-GP covering the grid",
    "lab.preset.drawn-heart": "WGAN-GP on a drawing",
    "msg.lab_no_run": "There is no run yet: press Reset or Run first.",
    "msg.lab_no_file": "Choose a saved Lab run (.safetensors) first.",
    "msg.lab_load": "This file cannot be loaded: {error}.",
    "msg.lab_no_preset": "There is no trained run called {name!r}; there are: {known}.",
    "lab.surfaces_intro": "### Critic surfaces\nGulrajani et al.'s figure 1: two critics of D's size trained towards "
                          "optimality on the same fixed points (the real data, and the real data plus noise as a fixed "
                          "“generator”), one with weight clipping, one with the gradient penalty.",
    "lab.surfaces_run": "▶ Train both critics",
    "lab.surfaces": "Critic value: clipping · penalty",
    "lab.surfaces_result": "After {steps:,} critic steps on the same points, a plane explains **{clip:.0%}** of the "
                           "clipped critic's surface but only **{gp:.0%}** of the penalised one's: weight clipping "
                           "leaves the critic little more than a tilted plane, blind to the data's shape, while the "
                           "penalty's critic follows it. ‖∇D‖ at the points: {clip_grad:.2g} under clipping, "
                           "{gp_grad:.2g} under the penalty (which asks for 1).",
    "lab.surfaces_unfinished": "After {steps:,} critic steps a plane still explains {gp:.0%} of the penalised critic's "
                               "surface (clipped: {clip:.0%}): a critic this small or this briefly trained has not yet "
                               "taken the data's shape; try a wider D. ‖∇D‖ at the points: {clip_grad:.2g} under "
                               "clipping, {gp_grad:.2g} under the penalty.",
    # --- the Lab: the field's fixes, and claim c on the literature's settings ---
    "lab.obj.lsgan": "LSGAN, least squares",
    "lab.obj.hinge": "GAN, hinge loss",
    "lab.obj.gan-r1": "GAN + R1 penalty on real data",
    "lab.obj.gan-sn": "GAN + spectral normalisation of D",
    "lab.obj.pacgan2": "PacGAN2 (D sees 2 samples at once)",
    "lab.obj.pacgan4": "PacGAN4 (D sees 4 samples at once)",
    "lab.obj.unrolled": "Unrolled GAN (G looks 5 D steps ahead)",
    "lab.lit.intro": "### Claim c on the literature's settings\nThe published 2-D mode-collapse benchmarks, each "
                     "trained as its source sets it (data, nets, initialisation, optimisers, update order, batch; "
                     "docs/lab.md has every setting beside its source's) and counted as PacGAN's code "
                     "counts: a sample is of high quality within 3σ of a mode, a mode is captured when one "
                     "high-quality sample lies nearest to it, and the reverse KL compares the samples per mode with "
                     "an even share. Measured beforehand with `python -m facegan.lab bench` on a CPU, over a stated "
                     "fraction of each paper's schedule; a paper's own rows, with their standard errors, are marked "
                     "as quoted, and only beside their own setting.",
    "lab.lit.suite": "Benchmark",
    "lab.lit.suite.pacgan": "PacGAN (ring σ 0.01, 5×5 grid)",
    "lab.lit.suite.unrolled": "Unrolled GAN paper (ring of radius 2)",
    "lab.lit.suite.unrolled-notebook": "Unrolled GAN notebook (its 7-mode ring)",
    "lab.lit.suite.gan_toy": "WGAN-GP's toy data (3×512 nets)",
    "lab.lit.suite.tutorial": "The Lab's ring and grid, face recipes",
    "lab.lit.show": "Show the measured results",
    "lab.lit.setting": "**{paper}**: {steps:,} generator steps per run ({share:.1%} of the full schedule), "
                       "{trials} trials each.",
    "lab.lit.row": "On **{data}**: the {baseline} captured **{gan:.1f}** of {total} modes ({gan_q:.0%} of samples of high "
                   "quality); the most were captured by **{best}**: **{best_modes:.1f}** ({best_q:.0%}).",
    "lab.lit.quoted": "Quoted from {source}: the {baseline} captured {modes} of {total}.",
    "msg.lab_lit_missing": "No measured results for the {suite} suite yet: run `python -m facegan.lab bench "
                           "--suite {suite}`.",
    # Your photo
    "tab.photo": "Your photo",
    "photo.intro": "### Your own face in each generator\nUpload a photo or take one with the webcam. The studio finds the "
                   "largest face, turns it so the eyes are level and crops it as the training faces were cropped "
                   "(64×64), then looks for the z whose face is closest to it in every model: an encoder's guess, "
                   "then a few steps of optimisation. Age and gender then move that z along the Edit tab's directions.",
    "photo.upload": "Photo (JPEG, PNG, WebP…)",
    "photo.webcam": "…or the webcam",
    "photo.hand": "Crop by hand (when the face is not found, or the wrong one is)",
    "photo.hand_editor": "Crop tight around the face: forehead to chin, ear to ear",
    "photo.framing": "Framing",
    "photo.framing.detect": "Find the face",
    "photo.framing.hand": "My crop",
    "photo.steps": "Optimisation steps",
    "photo.steps_info": "More steps fit the photo closer and take longer; 0 keeps the encoder's guess",
    "photo.go": "Project into every model",
    "photo.crop": "The crop the models see (64×64, shown large)",
    "photo.row": "The crop, then each model's projection",
    "photo.table": "The judge reads the crop as **{age:.0f} years**, P(female) **{female:.2f}**.\n\n"
                   "| model | PSNR (dB) | start (dB) | judged age | judged P(female) | seconds |\n"
                   "| --- | --- | --- | --- | --- | --- |",
    "photo.eyes_found": "Eyes found and levelled.",
    "photo.eyes_placed": "Eyes not found: placed where the face's box has them on the training crops (a turned head stays turned).",
    "photo.faces": "{count} faces found: the largest is used. ",
    "photo.by_hand": "Cropped by hand (centre square).",
    "photo.privacy": "**Your photo stays yours.** It is read only to answer your click: the studio never saves it or "
                     "writes it to a log, and Gradio's temporary upload copies are deleted within the hour. What comes "
                     "back to this page are the crop, the projections and their latents.",
    "photo.field.steps": "optimisation steps",
    "photo.no_photo": "Upload a photo or take one with the webcam first.",
    "photo.no_projection": "Project a photo first: there is no projection into {name} yet.",
    "photo.no_judge": "Projection needs the age/gender judge, which is missing: {error}",
    "photo.bad_encoder": "Cannot project into {name}: {error}",
    **{f"photo.reason.{reason}": f"{message[0].upper()}{message[1:]}." for reason, message in REASONS.items()},
}

ZH: dict[str, str] = {
    "intro": "# FaceGAN 工作室\nDCGAN、WGAN 与 WGAN-GP 人脸生成器并排对比。同一种子，同一批人脸。",
    "no_models": "## 未找到生成器\n请把导出的 `*.safetensors` 生成器放进 `checkpoints/`（用 "
                 "`python train.py --mode dcgan --data DIR` 训练一个），或用 `--checkpoints DIR` / "
                 "`FACEGAN_CHECKPOINTS` 指向其他文件夹，或在 `FACEGAN_HUB_REPO` 中指定 Hub 模型仓库。",
    "notice.no_folder": "⚠️ 未找到检查点文件夹：{path}",
    "notice.hub": "⚠️ {error}；仅提供本地检查点。",
    "notice.problem": "⚠️ {problem}",
    "problem.encoder": "{error}。“你的照片”把照片投影到 {name} 时不使用它，而是从几个随机隐向量中最好的一个开始（起点更差）。",
    "problem.directions": "{error}。在重新拟合编辑方向之前，{name} 无法编辑。",
    "problem.record": "{error}。“关于模型”不显示 {name} 的训练曲线。",
    "tab.samples": "样本",
    "tab.interpolation": "插值",
    "tab.compare": "对比",
    "tab.about": "关于模型",
    "model": "模型",
    "seed": "随机种子",
    "random_seed": "🎲 随机种子",
    "faces": "人脸数量",
    "truncation": "截断（z 的缩放）",
    "samples": "样本",
    "native": "原始像素（供下载）",
    "native_grid": "原始尺寸网格",
    "seed_a": "种子 A",
    "seed_b": "种子 B",
    "path": "路径",
    "t": "t（A → B）",
    "face_at_t": "t 处的人脸",
    "frames": "条带中的帧数",
    "strip": "A → B",
    "gif": "插值过程的 GIF 动画（原始分辨率）",
    "faces_per_model": "每个模型的人脸数",
    "same_latents": "同一组潜向量，每个模型",
    "caption": "{name}：{facts}",
    "caption.steps": "{steps:,} 步",
    "caption.images": "{millions:.1f}M 张图像",
    "caption.fid": "FID {fid:.1f}，KID {kid:.3f}",
    "caption.prdc": "精确率 {precision:.2f}，召回率 {recall:.2f}，密度 {density:.2f}，覆盖率 {coverage:.2f}",
    "about.curves": "{name}：训练曲线",
    "about.progress": "{name}：训练过程中固定噪声的生成结果（生成器步数）",
    "fact.mode": "模式",
    "fact.architecture": "网络结构",
    "fact.architecture_value": "nz={nz}，ngf={ngf}，ndf={ndf}，{size}×{size}，判别器归一化：{norm}",
    "fact.dataset": "训练数据",
    "fact.dataset_value": "{dataset}（{size:,} 张图像）",
    "fact.steps": "生成器步数",
    "fact.images_seen": "见过的真实图像数",
    "fact.batch_size": "批大小",
    "fact.train_time": "训练时间",
    "fact.train_time_value": "{seconds:.0f} 秒，设备 {device}",
    "fact.exported": "导出",
    "fact.metrics": "FID / KID",
    "fact.metrics_value": "{fid:.2f} / {kid:.4f} ± {kid_std:.4f}（{num:,} 个样本，参照 {reference}）",
    "fact.prdc": "精确率 / 召回率 / 密度 / 覆盖率",
    "fact.prdc_value": "{precision:.3f} / {recall:.3f} / {density:.3f} / {coverage:.3f}（{num:,} 个样本，"
                       "参照 {reference} 的 {reference_size:,} 张图像；k = {k_pr} / {k_dc}）",
    "fact.prdc_floor": "；同样规模下真实对真实：{precision:.3f} / {recall:.3f} / {density:.3f} / {coverage:.3f}",
    "fact.recipe": "训练配方",
    "about.objectives": r"""## 三者有何不同

三者都训练一个生成器 $G$，把噪声 $z \sim \mathcal{N}(0, I)$ 映射成人脸，并与给图像打分的判别器（critic）$D$
对抗；区别在于要求 $D$ 做什么、以及如何约束它（$x$：真实人脸，$\sigma$：sigmoid 函数）。

**DCGAN**：$D$ 是分类器。它的分数经 sigmoid 变成概率，两个网络都最小化二元交叉熵（生成器用不饱和形式）：

""" + DCGAN_LOSS + r"""

**WGAN**：$D$ 是分数无界的评判器，真实与生成人脸的分数差估计 Wasserstein 距离。这要求 $D$ 满足
1-Lipschitz 条件，做法很粗糙：每次判别器更新后把每个权重裁剪到区间内：

""" + WGAN_LOSS + r"""

**WGAN-GP**：判别器与生成器的损失同 WGAN，但 Lipschitz 约束改为在真实与生成人脸的随机混合上施加梯度惩罚，而不是裁剪权重：

""" + WGAN_GP_LOSS + r"""
""",
    "field.seed": "随机种子",
    "field.seed_a": "种子 A",
    "field.seed_b": "种子 B",
    "field.faces": "人脸数量",
    "field.frames": "帧数",
    "field.truncation": "截断值",
    "field.t": "t",
    "msg.empty": "{field}为空：请输入一个数字。",
    "msg.not_number": "{field}必须是数字，而不是 {value!r}。",
    "msg.not_finite": "{field}必须是有限的数字，而不是 {value!r}。",
    "msg.clamped": "{field} {value} 已改为 {fixed}（允许范围：{low}–{high}）。",
    "msg.clamped_whole": "{field} {value} 已改为 {fixed}（允许范围：{low}–{high}，须为整数）。",
    "msg.unknown_model": "未知模型 {name!r}；已加载：{loaded}。",
    "msg.bad_method": "插值方式必须是 'slerp' 或 'lerp'，而不是 {method!r}。",
    "tab.edit": "编辑",
    "age": "年龄（≈ 岁）",
    "age_info": "拟合直线给出的年龄；拖动使人脸变老或变年轻",
    "gender": "性别（← 男 · 女 →）",
    "gender_info": "沿性别方向移动的步数（以 z 在该方向上的标准差为单位）；0 为原始生成的人脸",
    "conditional": "保持另一属性不变",
    "conditional_info": "沿去除了另一方向分量的方向移动（InterFaceGAN 的条件编辑）",
    "walk_along": "下方展示的路径",
    "along.age": "年龄",
    "along.gender": "性别",
    "edited": "编辑后的人脸",
    "edit_walk": "路径：−3 到 +3 步",
    "edit.honesty": "**滑块的含义。** 年龄和性别是 UTKFace 数据集自带的标注：年龄以岁计，性别为按原标注的二元标签"
                    "（男 / 女）；种族标签未被使用。一个用这些标注训练的小型 CNN 为每个模型的生成人脸打分，再用 z 上的"
                    "线性模型得到各个方向（InterFaceGAN，Shen 等，2020）。滑块改变的是该预测器所看到的属性，包括它的误差，"
                    "也可能连带改变照片中与年龄或性别相关的特征（头发、眼镜、光照）。",
    "edit.reading": "拟合直线：**≈ {years:.0f} 岁** · 拟合分类器：P(女) **{female:.2f}**",
    "edit.errors": "这些数字背后的预测器在留出的 UTKFace 人脸上：年龄平均误差 {mae:.1f} 岁（按年龄段：{bands}）；"
                   "按标注的性别正确率 {accuracy:.1%}。",
    "fact.editing": "编辑",
    "fact.editing_value": "在 {samples:,} 张未用于拟合的人脸上，年龄路径 −3→+3：{age_change:+.1f} 岁，"
                          "P(女) 漂移 {female_drift:.2f}；性别路径：{flipped:.0%} 翻转，年龄漂移 {age_drift:.1f} 岁",
    "field.age": "年龄",
    "field.age_steps": "年龄步数",
    "field.gender_steps": "性别步数",
    "msg.no_directions": "{name} 还没有编辑方向：请对其权重文件运行 python -m facegan.editing fit。",
    # Lab
    "tab.runs": "训练运行",
    "runs.intro": "`{path}` 中的每一次训练运行，页面打开时每 {seconds} 秒重新读取一次：曲线、固定噪声网格、训练配方和评分，"
                  "随写随显。只读：这里不会启动或停止训练。`tensorboard --logdir {path}` 显示同样的运行。",
    "runs.run": "运行",
    "runs.curves": "曲线",
    "runs.curves_help": "横轴为生成器步数，名称与 metrics.jsonl 和 TensorBoard 中一致：**loss_d** 和 **loss_g** 是判别器（评论家）"
                        "和生成器的损失；**d_real** = D(x)，**d_fake** = D(G(z))（DCGAN 为概率，WGAN 为评论家打分）；"
                        "**wasserstein** = E[D(x)] − E[D(G(z))]，评论家的估计；**images_per_s** 是速度；测量时"
                        "（`--eval-every`）还有 **fid**、**kid**、**precision**（精确率）、**recall**（召回率）、"
                        "**density**（密度）和 **coverage**（覆盖率）。虚线：随附生成器的最终数值，标有各自的名称"
                        "（损失和速度只取与本运行模式相同的生成器）。",
    "runs.grid": "固定噪声",
    "runs.timeline": "训练过程中的网格（向回拖动可查看更早的）",
    "runs.grid_note": "{where} · 第 {index} 个网格，共 {count} 个",
    "runs.grid_at": "第 {step:,} 步",
    "runs.grid_final": "最终网格",
    "runs.no_grids": "还没有固定噪声网格：运行每 `--sample-every` 步写入一个。",
    "runs.bad_grid": "⚠️ 无法读取 {file}（{error}）。",
    "runs.none": "`{path}` 中还没有运行。`python train.py --mode dcgan --data DIR` 会把一次运行写到 runs/dcgan；"
                 "`--runs DIR` 可显示其他文件夹。",
    "runs.no_folder": "`{path}` 处还没有运行文件夹。`python train.py --mode dcgan --data DIR` 会把一次运行写到 runs/dcgan；"
                      "`--runs DIR` 可显示其他文件夹。",
    "runs.not_a_run": "⚠️ `{name}` 不是 `{path}` 中的运行：运行是含有 metrics.jsonl 或 samples_STEP.png 网格的文件夹。",
    "runs.status": "**{name}** · {state} · 第 {step:,}{total} 步 · 见过 {images:,} 张真实图像 · 每秒 {rate:,.0f} 张图像",
    "runs.of_steps": " / {steps:,}",
    "runs.state.training": "🟢 训练中（最后一条记录在 {age}前）",
    "runs.state.finished": "✅ 已完成",
    "runs.state.quiet": "⏸ 已有 {age}没有新记录：已停止，或尚未到下一个记录步",
    "runs.no_metrics": "**{name}** · 还没有指标记录",
    "runs.damaged": "⚠️ {error}：显示它之前的 {count:,} 条记录。",
    "runs.cut": "⚠️ metrics.jsonl 以一行写到一半的记录结尾（运行在写入时被停止）：显示其中 {count:,} 条完整记录。",
    "runs.unreadable": "⚠️ {error}",
    "runs.bad_config": "⚠️ 无法读取 {file}（{error}）：训练配方未知。",
    "runs.no_config": "此运行中没有 config.json：未记录其训练配方。",
    "runs.recipe": "#### 训练配方",
    "runs.scores": "#### 最新评分，第 {step:,} 步",
    "runs.no_scores": "还没有测量评分：`--eval-every N` 每 N 步测量 FID、KID、精确率、召回率、密度和覆盖率。",
    "runs.age.s": "{n:.0f} 秒",
    "runs.age.min": "{n:.0f} 分钟",
    "runs.age.h": "{n:.1f} 小时",
    "runs.age.d": "{n:.1f} 天",
    "tab.lab": "实验室",
    "lab.intro": "## 实验室：在二维点上看 WGAN 如何修正原始 GAN\n生成器把二维噪声变成点，判别器（或评论家）给点打分；两者都是"
                 "小型 MLP，用与人脸模型相同的损失函数训练。教程指出的原始 GAN 的三个问题在这里几秒钟内就能看到并测量："
                 "**(a)** 判别器太强时生成器得不到梯度；**(b)** 损失值不反映样本质量；**(c)** 生成器坍缩到少数几个模式。"
                 "点击**运行**，或一次只走一步。",
    "lab.distribution": "真实数据",
    "lab.dist.ring": "环上的 8 个高斯",
    "lab.dist.grid": "网格上的 25 个高斯",
    "lab.dist.gaussian": "单个高斯",
    "lab.dist.moons": "双月",
    "lab.dist.spiral": "螺旋",
    "lab.dist.swissroll": "瑞士卷",
    "lab.dist.drawn": "我的手绘（在下方绘制）",
    "lab.draw": "手绘你自己的数据",
    "lab.sketch": "选择画笔并画几笔：真实数据就变成你的手绘",
    "lab.objective": "目标函数",
    "lab.obj.gan-minimax": "GAN，极小极大（饱和）",
    "lab.obj.gan": "GAN，非饱和（教程所用）",
    "lab.obj.wgan": "WGAN，权重裁剪",
    "lab.obj.wgan-gp": "WGAN-GP，梯度惩罚",
    "lab.noise": "噪声 z",
    "lab.noise.gaussian": "高斯",
    "lab.noise.uniform": "均匀",
    "lab.knobs": "超参数",
    "lab.g_width": "G 宽度",
    "lab.g_depth": "G 隐藏层数",
    "lab.d_width": "D 宽度",
    "lab.d_depth": "D 隐藏层数",
    "lab.optimizer": "G 的优化器",
    "lab.lr_g": "G 学习率",
    "lab.lr_d": "D 学习率",
    "lab.d_steps": "每轮 D 的步数",
    "lab.clip": "裁剪 c（WGAN）",
    "lab.gp_lambda": "惩罚 λ（WGAN-GP）",
    "lab.batch": "批大小",
    "lab.steps": "轮数",
    "lab.speed": "每张图的轮数",
    "lab.delay": "慢动作（两张图之间的秒数）",
    "lab.delay_info": "配合每张图 1 步，可以观察单次更新",
    "lab.run": "▶ 运行",
    "lab.pause": "暂停",
    "lab.d_step": "走一步 D",
    "lab.g_step": "走一步 G",
    "lab.reset": "↺ 重置",
    "lab.field": "真实点与生成点",
    "lab.curves": "曲线",
    "lab.legend": "**如何读图。** 绿点：真实点；紫点：生成点。背景：D 在该处的判断（绿：真实，紫：生成；GAN 显示概率，"
                  "WGAN 显示评论家分数）。黑色箭头：生成器损失把每个生成点推向的方向（−∇ₓ L_G，最长的箭头缩放到固定长度）。"
                  "灰色网格：一组噪声值经 G 映射后的形状。曲线：L_D 和 L_G；与真实点的精确 W1 距离及评论家的估计 "
                  "E[D(x)] − E[D(G(z))]；覆盖的模式数及落在某个模式 3σ 内的样本比例（仅混合分布）；对数刻度的 ‖∇θ G‖。",
    "lab.numbers": "第 **{round:,}** / {steps:,} 步（G 走了 {g_updates:,} 步，D 走了 {d_updates:,} 步）· 精确 W1 "
                   "**{w1}** · KL(真实‖生成) {kl} · JS {js} 比特 · 估计 {estimate:.3f} · L_D {loss_d:.3f} · L_G {loss_g:.3f} · ‖∇θ G‖ {grad:.2g}",
    "lab.accuracy": " · D 准确率 {accuracy:.0%}",
    "lab.modes": " · 覆盖模式 **{modes}/{total}** · 3σ 内 **{quality:.0%}**",
    "lab.side_intro": "### 并排对比\n同样的数据、网络、种子和步数，分别用 GAN、WGAN 和 WGAN-GP 各自的配方训练。",
    "lab.side_run": "▶ 三个一起运行",
    "lab.side": "GAN · WGAN · WGAN-GP",
    "lab.table_head": "| 目标函数 | 步数 | 精确 W1 | 模式 | 3σ 内 | 估计 | ‖∇θ G‖ |",
    "lab.claims_intro": "### 三个论断，实测\n每个按钮都在上面的数据、网络、种子和步数上运行一次实验（论断 a：同样多的 D 步）。"
                        "论断 c 在人脸模型的配方（即教程的配方）和实验室的快速配方下训练 GAN 与 WGAN-GP，用 {seeds} 个"
                        "种子，最多 {steps:,} 步、{seconds} 秒。几秒内先显示第一个结果，其余陆续补上；"
                        "`python -m facegan.lab claims` 用 5 个种子运行全部四种目标。",
    "lab.claim_a": "a · 梯度消失",
    "lab.claim_b": "b · 损失与质量",
    "lab.claim_c": "c · 模式坍缩",
    "lab.figure": "实验",
    "lab.claim_a_result": "固定 G，D 训练 {steps:,} 步后（D 准确率 {accuracy:.0%}），极小极大生成器的梯度 ‖∇θ G‖ 从 "
                          "{sat0:.2g} 降到 **{sat:.2g}**，而非饱和损失仍给出 **{ns:.2g}**，WGAN-GP 评论家给出 **{w:.2g}**。",
    "lab.claim_b_result": "一次训练中与精确 W1 的相关系数：D 损失为 r = **{minimax}**（极小极大）和 **{gan}**（非饱和）；"
                          "评论家的估计为 r = **{wgan}**（WGAN）和 **{gp}**（WGAN-GP），同样的差值在 GAN 下为 {gan_estimate}。",
    "lab.claim_c_result": "训练 {steps:,} 步后覆盖的模式数（共 {total} 个，{seeds} 个种子的平均，括号内为各种子的值）。"
                          "\n\n{face}\n\n{fast}",
    "lab.claim_c_recipe": "在**{recipe}**下：GAN **{gan:.1f}**（{gan_seeds}；{gan_q:.0%} 的样本落在某个模式 3σ 内），"
                          "WGAN-GP **{gp:.1f}**（{gp_seeds}；{gp_q:.0%}）：{verdict}。",
    "lab.recipe.face": "人脸模型的配方，即教程的配方（GAN：Adam 2e-4；WGAN-GP：Adam 1e-4，λ 10）",
    "lab.recipe.fast": "实验室的快速配方（GAN：Adam 1e-3；WGAN-GP：Adam 1e-3，λ 0.1）",
    "lab.claim_c_fewer": "GAN 丢失的模式更多，与教程所说一致",
    "lab.claim_c_not_fewer": "在这里 GAN 覆盖的模式并不比 WGAN-GP 少",
    "lab.claim_a_progress": "⏳ 第 {done:,} 个 D 步（共 {total:,} 步），已用 {seconds:.0f} 秒：图随 D 的训练逐步补全。",
    "lab.claim_b_progress": "⏳ 已训练 {total} 种目标中的 {done} 种，已用 {seconds:.0f} 秒：每完成一种，图就补上一部分。",
    "lab.claim_c_progress": "⏳ 已训练 {total} 组目标与配方中的 {done} 组（每组 {seeds} 个种子），已用 {seconds:.0f} 秒："
                            "每完成一组，图就补上一部分。",
    "lab.about.dcgan": "**在实验室中：** 本模型使用的非饱和损失正是论断 **a** 中解决极小极大梯度消失的办法；"
                       "论断 **c** 测量它是否丢失模式。",
    "lab.about.wgan": "**在实验室中：** 论断 **b** 表明，本模型评论家的估计与 GAN 的损失不同，会随样本与数据的距离变化；"
                      "那里的 WGAN 目标函数同样使用权重裁剪。",
    "lab.about.wgan-gp": "**在实验室中：** 论断 **a** 显示本模型的评论家训练到最优后仍给出的梯度；论断 **c** 显示其模式覆盖。",
    "field.speed": "每张图的步数",
    "field.delay": "慢动作间隔",
    "msg.lab_settings": "实验室无法使用这些设置运行：{error}。",
    "msg.lab_strokes": "手绘的笔画不是有效的 JSON（应为由 [x, y] 点组成的折线列表）。",
    "msg.lab_done": "本次训练已达到 {steps:,} 个生成器步：点击重置或修改任一设置即可重新开始。",
    "msg.lab_empty_drawing": "手绘为空：请先选择画笔并至少画一笔。",
    "msg.lab_diverged": "训练在生成器第 {step:,} 步发散（某个损失变为无穷大或 NaN）：请降低学习率并点击重置。",
    "msg.lab_claim_time": "实验在 {seconds} 秒的限制处停止：其数值来自较短的训练。",
    "msg.lab_time": "运行 {seconds} 秒后在生成器第 {step:,} 步停止：点击运行继续。",
    "msg.lab_claim_steps": "为保持快速，该论断运行 {cap:,} 个生成器步，而不是 {steps:,} 个。",
    "msg.lab_no_modes": "论断 c 统计模式数：请选择环、网格或单个高斯。",
    # Lab: GAN Lab's parts (model graph, per-net settings, layers, presets) and the run's memory
    "lab.noise_dim": "噪声维数",
    "lab.g_batchnorm": "G 使用批归一化",
    "lab.d_maxout": "D 的 maxout 分片数（1 为 ReLU）",
    "lab.init": "权重初始化",
    "lab.pack": "PacGAN 打包数 m",
    "lab.unroll": "展开的 D 步数 k",
    "lab.r1_gamma": "R1 权重 γ",
    "lab.activation": "两个网络的激活函数",
    "lab.d_scale": "D 将输入除以",
    "lab.init_gain": "正交初始化的增益",
    "lab.update": "更新方式：交替（先 D 的步，再 G 的步）或联合（两者用同一批数据）",
    "lab.net_g": "**生成器 G**",
    "lab.net_d": "**判别器 D**",
    "lab.g_steps": "每轮 G 的步数",
    "lab.optimizer_d": "D 的优化器",
    "lab.beta1": "G 的 Adam β1",
    "lab.beta2": "G 的 Adam β2",
    "lab.beta1_d": "D 的 Adam β1",
    "lab.beta2_d": "D 的 Adam β2",
    "lab.layers": "显示",
    "lab.layer.real": "真实点",
    "lab.layer.fake": "生成点",
    "lab.layer.heat": "D 的热力图",
    "lab.layer.arrows": "梯度箭头",
    "lab.layer.manifold": "G 的流形",
    "lab.timeline": "时间线：回到训练的早先时刻",
    "lab.timeline_info": "拖动可查看更早的时刻（训练会暂停）。▶ 运行和单步按钮总是从最新状态继续，而不是从所显示的时刻继续。",
    "lab.timeline_past": "*当前显示：第 {step:,} 步。▶ 运行将从最新状态（第 {latest:,} 步）继续，而不是从这里。*",
    "lab.graph": "模型结构图",
    "lab.sub.none": "一轮训练：D 先看真实点，再看生成点，然后更新；接着 G 生成点并通过 D 更新。慢动作和单步按钮会依次点亮每个环节。",
    "lab.sub.d_real": "D 给一批真实点 x 打分：它应当判为“真实”。",
    "lab.sub.d_fake": "G 把新的噪声 z 变成点 G(z)，D 给它们打分：它应当判为“生成”。",
    "lab.sub.d_update": "D 的优化器沿 L_D 下降一步（之后裁剪或梯度惩罚使 D 保持平滑）。",
    "lab.sub.g_forward": "G 把噪声变成点，D 给它们打分：L_G 衡量 G 骗过 D 的程度。",
    "lab.sub.g_update": "G 的优化器沿 L_G 下降一步，梯度穿过 D 传回；D 本身保持不变。",
    "lab.save": "💾 保存训练",
    "lab.animate": "🎞 动画（GIF）",
    "lab.saved": "已保存的训练（.safetensors）",
    "lab.load": "加载已保存的训练",
    "lab.gif": "迄今训练过程的动画",
    "lab.presets": "**打开一个已训练好的例子：**",
    "lab.preset.gan-ring-collapsed": "在环上坍缩的 GAN",
    "lab.preset.wgan-gp-grid": "覆盖网格的 WGAN-GP",
    "lab.preset.drawn-heart": "手绘数据上的 WGAN-GP",
    "msg.lab_no_run": "还没有训练：请先点击重置或运行。",
    "msg.lab_no_file": "请先选择一个已保存的实验室训练文件（.safetensors）。",
    "msg.lab_load": "无法加载此文件：{error}。",
    "msg.lab_no_preset": "没有名为 {name!r} 的已训练例子；现有：{known}。",
    "lab.surfaces_intro": "### 评论家的值曲面\nGulrajani 等人论文的图 1：两个与 D 同样大小的评论家在同一组固定的点上"
                          "训练到接近最优（真实数据，以及加了噪声的真实数据作为固定的“生成器”），一个用权重裁剪，一个用梯度惩罚。",
    "lab.surfaces_run": "▶ 训练两个评论家",
    "lab.surfaces": "评论家的值：裁剪 · 惩罚",
    "lab.surfaces_result": "在同一组点上训练 {steps:,} 步后，一个平面能解释裁剪评论家曲面的 **{clip:.0%}**，"
                           "却只能解释惩罚评论家曲面的 **{gp:.0%}**：权重裁剪让评论家几乎只是一个倾斜的平面，看不见数据的形状，"
                           "而梯度惩罚的评论家贴合数据。点上的 ‖∇D‖：裁剪 {clip_grad:.2g}，惩罚 {gp_grad:.2g}（惩罚要求为 1）。",
    "lab.surfaces_unfinished": "训练 {steps:,} 步后，一个平面仍能解释惩罚评论家曲面的 {gp:.0%}（裁剪：{clip:.0%}）："
                               "这么小或训练这么短的评论家还没有贴合数据的形状；请试试更宽的 D。点上的 ‖∇D‖：裁剪 "
                               "{clip_grad:.2g}，惩罚 {gp_grad:.2g}。",
    # --- 实验室：领域中的改进方法，以及文献设置下的论断 c ---
    "lab.obj.lsgan": "LSGAN，最小二乘",
    "lab.obj.hinge": "GAN，合页损失",
    "lab.obj.gan-r1": "GAN + 真实数据上的 R1 惩罚",
    "lab.obj.gan-sn": "GAN + 判别器谱归一化",
    "lab.obj.pacgan2": "PacGAN2（判别器一次看 2 个样本）",
    "lab.obj.pacgan4": "PacGAN4（判别器一次看 4 个样本）",
    "lab.obj.unrolled": "展开 GAN（生成器向前看 5 步判别器）",
    "lab.lit.intro": "### 文献设置下的论断 c\n已发表的二维模式崩溃基准，每个都按其出处的设置训练（数据、网络、"
                     "初始化、优化器、更新顺序、批大小；docs/lab.md 列出每项设置及其出处），并按 PacGAN 代码的方式计数："
                     "落在某个模式 3σ 以内的样本为高质量样本；若至少有一个高质量"
                     "样本以某模式为最近模式，则该模式被捕获；反向 KL 比较每个模式的样本数与均匀分配。结果事先在 CPU 上"
                     "用 `python -m facegan.lab bench` 测得，训练步数为各论文计划中注明的一部分；论文自己的数据行连同其标准误"
                     "标为引用，且只放在其自身的设置旁。",
    "lab.lit.suite": "基准",
    "lab.lit.suite.pacgan": "PacGAN（σ 0.01 的环，5×5 网格）",
    "lab.lit.suite.unrolled": "展开 GAN 论文（半径为 2 的环）",
    "lab.lit.suite.unrolled-notebook": "展开 GAN 笔记本（其 7 个模式的环）",
    "lab.lit.suite.gan_toy": "WGAN-GP 的玩具数据（3×512 网络）",
    "lab.lit.suite.tutorial": "实验室的环与网格，人脸模型的配方",
    "lab.lit.show": "显示测得的结果",
    "lab.lit.setting": "**{paper}**：每次训练 {steps:,} 个生成器步（完整计划的 {share:.1%}），每项 {trials} 次试验。",
    "lab.lit.row": "在 **{data}** 上：{baseline} 捕获了 {total} 个模式中的 **{gan:.1f}** 个（高质量样本占 {gan_q:.0%}）；"
                   "捕获最多的是 **{best}**：**{best_modes:.1f}** 个（{best_q:.0%}）。",
    "lab.lit.quoted": "引自 {source}：{baseline} 捕获了 {total} 个模式中的 {modes} 个。",
    "msg.lab_lit_missing": "{suite} 基准尚无测得的结果：请运行 `python -m facegan.lab bench --suite {suite}`。",
    # Your photo
    "tab.photo": "你的照片",
    "photo.intro": "### 你自己的脸，在每个生成器中\n上传一张照片或用摄像头拍一张。工作室会找到最大的人脸，把它转正使双眼水平，"
                   "并按训练人脸的方式裁剪（64×64），然后在每个模型中寻找生成的人脸与之最接近的 z：先由编码器猜测，"
                   "再优化几步。之后年龄和性别沿“编辑”页的方向移动这个 z。",
    "photo.upload": "照片（JPEG、PNG、WebP 等）",
    "photo.webcam": "……或使用摄像头",
    "photo.hand": "手动裁剪（未找到人脸或找错时）",
    "photo.hand_editor": "紧贴人脸裁剪：从额头到下巴，从左耳到右耳",
    "photo.framing": "取景方式",
    "photo.framing.detect": "自动找脸",
    "photo.framing.hand": "我的裁剪",
    "photo.steps": "优化步数",
    "photo.steps_info": "步数越多越贴近照片，也越慢；0 表示只用编码器的猜测",
    "photo.go": "投影到每个模型",
    "photo.crop": "模型看到的裁剪（64×64，放大显示）",
    "photo.row": "裁剪，以及每个模型的投影",
    "photo.table": "评判网络认为裁剪中的人约 **{age:.0f} 岁**，P(女性) 为 **{female:.2f}**。\n\n"
                   "| 模型 | PSNR (dB) | 起点 (dB) | 判定年龄 | 判定 P(女性) | 秒 |\n"
                   "| --- | --- | --- | --- | --- | --- |",
    "photo.eyes_found": "已找到双眼并调为水平。",
    "photo.eyes_placed": "未找到双眼：按训练裁剪中人脸框与眼睛的位置关系放置（侧转的头部保持原样）。",
    "photo.faces": "找到 {count} 张人脸：使用最大的一张。",
    "photo.by_hand": "手动裁剪（取中心正方形）。",
    "photo.privacy": "**你的照片只属于你。** 它只在响应你的点击时被读取：工作室从不保存它，也不写入日志；"
                     "Gradio 的临时上传副本会在一小时内删除。返回本页面的只有裁剪、投影及其隐向量。",
    "photo.field.steps": "优化步数",
    "photo.no_photo": "请先上传照片或用摄像头拍一张。",
    "photo.no_projection": "请先投影一张照片：{name} 中还没有投影。",
    "photo.no_judge": "投影需要年龄/性别评判网络，但它缺失：{error}",
    "photo.bad_encoder": "无法投影到 {name}：{error}",
    "photo.reason.not_image": "这不是可以读取的图像文件（{detail}）。",
    "photo.reason.corrupt": "图像文件已损坏或被截断（{detail}）。",
    "photo.reason.too_large": "图像太大：{width}×{height} 像素，最多 {limit} 百万像素。",
    "photo.reason.bomb": "图像声称远大于 {limit} 百万像素：未读取即拒绝（可能是解压炸弹）。",
    "photo.reason.too_small": "图像太小：{width}×{height} 像素，至少需要 {minimum}×{minimum}。",
    "photo.reason.no_face": "照片中未找到人脸：请换一张更清晰、正面、光线好的照片，或手动裁剪人脸。",
}

# Language code → strings. "zh" also covers zh-CN, zh-SG… (the browser falls back from zh-CN to zh).
STRINGS: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}
DEFAULT = "en"
LAUNCH_I18N = gr.I18n(**{lang: dict(texts) for lang, texts in STRINGS.items()})  # copies: localized() adds keys


def t(key: str) -> gr.i18n.I18nData:
    """A static text the browser shows in its own language."""
    if key not in EN:
        raise KeyError(f"no string {key!r} in facegan.ui.i18n")
    return LAUNCH_I18N(key)


def text(key: str, lang: str = DEFAULT, **values) -> str:
    """The string in lang (English where lang has none), with values filled in."""
    return STRINGS.get(lang, EN).get(key, EN[key]).format(**values)


def localized(render: Callable[[str], str]) -> gr.i18n.I18nData:
    """A static text built from values (a facts table), rendered in every language.

    Registered under a key derived from its content, so two apps in one process never clash.
    """
    texts = {lang: render(lang) for lang in STRINGS}
    key = "auto." + hashlib.sha1("\x00".join(texts.values()).encode()).hexdigest()[:16]
    for lang, rendered in texts.items():
        LAUNCH_I18N.translations[lang][key] = rendered
    return LAUNCH_I18N(key)


def phrase(key: str, **values) -> gr.i18n.I18nData:
    """A static text with values filled in: `localized` for one string."""
    return localized(lambda lang: text(key, lang, **values))


def language(request: gr.Request | None) -> str:
    """The request's language from its Accept-Language header: the first one we speak."""
    header = (request.headers.get("accept-language", "") if request is not None else "") or ""
    for part in header.split(","):
        primary = part.split(";")[0].strip().split("-")[0].lower()
        if primary in STRINGS:
            return primary
    return DEFAULT

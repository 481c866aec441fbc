/* The C ABI of the MTFSim simulator (libMTFSimC.so, built by `swift build -c release --product MTFSimC`).
 *
 * An environment holds `count` slots, each stepping one simulated user at a time (Gymnasium's vector environment,
 * next-step autoreset). Buffers belong to the caller; a handle belongs to one thread at a time. Every function
 * returns a status (MTFSIM_OK = 0) and never aborts the process; mtfsim_env_last_error explains a failure.
 * See docs/python.md, "The C ABI". */
#ifndef MTFSIM_H
#define MTFSIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MTFSIM_ABI_VERSION 2

enum mtfsim_status {
    MTFSIM_OK = 0,
    MTFSIM_INVALID_ARGUMENT = 1,  /* a null pointer, a wrong size, an out-of-range argument */
    MTFSIM_ENVIRONMENT = 2,       /* the environment could not be built (create reports it in its error buffer) */
    MTFSIM_INVALID_ACTION = 3,    /* a NaN or infinite action: nothing was stepped */
    MTFSIM_NOT_RESET = 4,         /* step before reset */
    MTFSIM_RANKER = 5,            /* the ranker checkpoint could not be loaded */
    MTFSIM_BUFFER_TOO_SMALL = 6,  /* a text buffer is too small (the needed size is reported) */
    MTFSIM_POLICY = 7             /* a policy spec or checkpoint could not be resolved for this world */
};

typedef struct mtfsim_env mtfsim_env;

/* Must equal MTFSIM_ABI_VERSION. */
int32_t mtfsim_abi_version(void);
/* The MTFSim release, NUL-terminated. */
int32_t mtfsim_version(char *buffer, size_t capacity);

/* environment: a preset name (short-video, tiny, ecommerce) or an environment file, or NULL when yaml holds the
 * environment's YAML text (exactly one of the two). ranker: NULL (oracle-noise) or a ranker checkpoint.
 * seed: the world's and the streams' seed (mtfsim simulate --seed). users: "all", "training", "held-out" or
 * "LOW..HIGH". first_episode: the first episode number. scope: 0 = an episode is a user's run of sessions,
 * 1 = one session. threads: groups of slots stepped concurrently (results do not depend on it).
 * Returns NULL on failure, with the reason in error. */
mtfsim_env *mtfsim_env_create(const char *environment, const char *yaml, const char *ranker, uint64_t seed,
                              int32_t count, const char *users, int64_t first_episode, int32_t scope,
                              int32_t threads, char *error, size_t error_capacity);
void mtfsim_env_free(mtfsim_env *env);
/* The last failure's message; valid until the next call on env. */
const char *mtfsim_env_last_error(mtfsim_env *env);

int32_t mtfsim_env_sizes(mtfsim_env *env, int32_t *count, int32_t *state_dimension, int32_t *action_dimension,
                         int32_t *reward_components);
/* JSON: state/action/reward-component/task names, action low/high/baseline, users, horizon, seed. Call with a
 * NULL buffer to learn the size (needed, NUL included). */
int32_t mtfsim_env_describe(mtfsim_env *env, char *buffer, size_t capacity, size_t *needed);

/* Starts an episode in every slot; observations: count x state_dimension. has_seed != 0 reseeds the streams and
 * restarts episode numbering; episodes: NULL or one episode number per slot. */
int32_t mtfsim_env_reset(mtfsim_env *env, uint64_t seed, int32_t has_seed, const int64_t *episodes,
                         float *observations);
/* actions: count x action_dimension raw fusion weights (actions_count values), clipped to the bounds.
 * components: count x reward_components; flags one byte per slot. */
int32_t mtfsim_env_step(mtfsim_env *env, const float *actions, int64_t actions_count, float *observations,
                        double *rewards, float *components, uint8_t *terminated, uint8_t *truncated,
                        uint8_t *session_end, double *elapsed_minutes);
/* Episode, user, session index and request index of each slot's next observation (any buffer may be NULL). */
/* The raw fusion weights MTFSim policy `spec` (baseline, fixed:..., mixture:..., or a checkpoint of mtfsim train /
 * train-offline, as `simulate --policy` takes) chooses for every slot's current request (actions_count = count x
 * action dimension). Exploration draws from the episodes' keyed policy streams, as in `simulate --policy`: stepping
 * with these actions reproduces that run. Call once per step. Since ABI 2. */
int32_t mtfsim_env_act(mtfsim_env *env, const char *spec, float *actions, int64_t actions_count);

int32_t mtfsim_env_positions(mtfsim_env *env, int64_t *episodes, int64_t *users, int32_t *sessions,
                             int32_t *requests);

#ifdef __cplusplus
}
#endif
#endif

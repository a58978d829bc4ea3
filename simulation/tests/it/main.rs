//! The simulation scenarios, one madsim test each. Run them with `scripts/sim.sh`; a seed is
//! chosen with `MADSIM_TEST_SEED`, a number of consecutive seeds with `MADSIM_TEST_NUM`.

mod scenarios;

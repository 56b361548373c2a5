/* trail--1.0--1.1.sql: from 1.0 to 1.1 (CREATE EXTENSION trail runs
 * trail--1.0.sql and then this file, so a new database and an updated one
 * hold the same objects) */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "ALTER EXTENSION trail UPDATE TO '1.1'" to load this file. \quit

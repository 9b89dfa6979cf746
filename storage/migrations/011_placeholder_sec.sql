-- Placeholder in branch sec only, so that tern (which needs contiguous
-- numbers) runs 013 here: other branches own 011 and 012. Delete on merge.
select 1;
